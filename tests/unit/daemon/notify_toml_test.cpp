// [notify] of credd.toml (credctl.toml(5)): its defaults, its values, and
// refusals that name file, line, key and value.
#include "daemon/config/daemon_config.hpp"

#include "support/daemon_config_text.hpp"

#include <gtest/gtest.h>

#include <string>

namespace credctl::daemon {
namespace {

using test::load_text;

// Why loading `text` fails, which must be a bad request.
std::string refusal_message(const std::string& text) {
    const auto e = test::refusal(text);
    EXPECT_EQ(e.code, Errc::bad_request);
    return e.message;
}

TEST(NotifyConfig, WithoutTheTableNoCommandRunsAndTheDefaultsHold) {
    auto c = load_text("");
    ASSERT_TRUE(c.has_value()) << c.error().message;
    EXPECT_TRUE(c->notify.command.empty());
    EXPECT_EQ(c->notify.timeout, std::chrono::seconds(10));
    EXPECT_EQ(c->notify.unavailable_after, std::chrono::seconds(3600));
}

TEST(NotifyConfig, ReadsTheCommandAndItsBounds) {
    auto c = load_text(
        "[notify]\ncommand = [\"/usr/local/bin/notify-login\", \"--user\"]\ntimeout_seconds = 3\n"
        "unavailable_after_seconds = 600\n");
    ASSERT_TRUE(c.has_value()) << c.error().message;
    EXPECT_EQ(c->notify.command, (std::vector<std::string>{"/usr/local/bin/notify-login", "--user"}));
    EXPECT_EQ(c->notify.timeout, std::chrono::seconds(3));
    EXPECT_EQ(c->notify.unavailable_after, std::chrono::seconds(600));
}

TEST(NotifyConfig, RefusesACommandThatIsNotAnAbsolutePath) {
    EXPECT_EQ(refusal_message("[notify]\ncommand = [\"notify-login\"]\n"),
              "credd.toml:2: notify.command: not an absolute path: \"notify-login\"");
    EXPECT_EQ(refusal_message("[notify]\ncommand = []\n"), "credd.toml:2: notify.command: must name a program: []");
}

TEST(NotifyConfig, RefusesOutOfBoundsAndUnknownKeys) {
    EXPECT_EQ(refusal_message("[notify]\ntimeout_seconds = 0\n"),
              "credd.toml:2: notify.timeout_seconds: must be between 1 and 600: 0");
    EXPECT_EQ(refusal_message("[notify]\nunavailable_after_seconds = 2592001\n"),
              "credd.toml:2: notify.unavailable_after_seconds: must be between 1 and 2592000: 2592001");
    EXPECT_EQ(refusal_message("[notify]\ncomand = [\"/bin/true\"]\n"), "credd.toml:2: notify.comand: unknown key");
}

}  // namespace
}  // namespace credctl::daemon
