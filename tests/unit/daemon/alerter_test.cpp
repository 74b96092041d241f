// The Alerter: once per credential per state change, a structured line and
// the notify command with the four variables; a failing command is logged.
// Real commands on a real io_context.
#include "daemon/notify/alerter.hpp"

#include "temp_dir.hpp"

#include "support/capture.hpp"

#include <gtest/gtest.h>

#include <fcntl.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>

#include <array>
#include <fstream>
#include <sstream>

namespace credctl::notify {
namespace {

using namespace std::chrono_literals;
using credctl::test::TempDir;

using test::slurp;

// What `f` wrote on stderr.
template <typename F>
std::string capture_stderr(F f) {
    return test::capture_stderr(f).text;
}

// How many of the lines of `text` hold `part`.
int lines_with(const std::string& text, const std::string& part) {
    std::istringstream in(text);
    int n = 0;
    for (std::string line; std::getline(in, line);) n += line.find(part) != std::string::npos ? 1 : 0;
    return n;
}

class AlerterTest : public ::testing::Test {
protected:
    // An Alerter whose command appends its arguments and variables to a file.
    Settings recording() {
        Settings s;
        s.command = {"/bin/sh", "-c",
                     "echo \"$0 $CREDCTL_USER $CREDCTL_PROVIDER $CREDCTL_STATE $CREDCTL_REASON\" >>" + log_, "--user"};
        s.unavailable_after = 60s;
        return s;
    }
    void drain(Alerter& a) {
        while (a.running() > 0) {
            io_.restart();
            io_.run_one_for(5s);
        }
    }

    TempDir dir_;
    std::string log_ = dir_.file("ran");
    boost::asio::io_context io_;
};

TEST_F(AlerterTest, ALoginRequiredRunsTheCommandOnceUntilTheCredentialIsValidAgain) {
    Alerter a(io_, recording());
    const auto err = capture_stderr([&] {
        a.login_required("alice", "demo", Reason::invalid_grant);
        a.login_required("alice", "demo", Reason::invalid_grant);
        drain(a);
    });
    EXPECT_EQ(slurp(log_), "--user alice demo login_required invalid_grant\n");
    EXPECT_NE(err.find("<4>credentials/alice/demo needs a login: the provider rejected its refresh token "
                       "MESSAGE_ID=cbcb31fa6d184a078df530745078847b CREDCTL_USER=alice CREDCTL_PROVIDER=demo "
                       "CREDCTL_STATE=login_required CREDCTL_REASON=invalid_grant\n"),
              std::string::npos)
        << err;
    a.valid("alice", "demo");
    const auto interrupted = capture_stderr([&] {
        a.login_required("alice", "demo", Reason::rotation_interrupted);
        drain(a);
    });
    EXPECT_NE(interrupted.find("credentials/alice/demo needs a login: a refresh was interrupted before its answer "
                               "was stored "),
              std::string::npos)
        << interrupted;
    EXPECT_EQ(
        slurp(log_),
        "--user alice demo login_required invalid_grant\n--user alice demo login_required rotation_interrupted\n");
}

TEST_F(AlerterTest, AnUnavailableProviderIsNotifiedOncePastTheThreshold) {
    Alerter a(io_, recording());
    (void)capture_stderr([&] {
        a.unavailable("alice", "demo", 1000, 1059);
        drain(a);
    });
    EXPECT_EQ(slurp(log_), "") << "notified before unavailable_after";
    const auto err = capture_stderr([&] {
        a.unavailable("alice", "demo", 1000, 1060);
        a.unavailable("alice", "demo", 1000, 1200);
        drain(a);
    });
    EXPECT_EQ(slurp(log_), "--user alice demo provider_unavailable provider_unavailable\n");
    EXPECT_NE(err.find("MESSAGE_ID=1f3682f2e1ee40b7bb0d8f5b2bb6634a"), std::string::npos) << err;
    EXPECT_NE(err.find("credentials/alice/demo is not refreshed: its provider has been unavailable for "),
              std::string::npos)
        << err;
    // Then rejected for good: a new state, a new word.
    (void)capture_stderr([&] {
        a.login_required("alice", "demo", Reason::invalid_grant);
        drain(a);
    });
    EXPECT_EQ(slurp(log_),
              "--user alice demo provider_unavailable provider_unavailable\n"
              "--user alice demo login_required invalid_grant\n");
}

TEST_F(AlerterTest, ACommandThatHangsIsKilledAtTheTimeoutAndLogged) {
    Settings s;
    s.command = {"/bin/sleep", "30"};
    s.timeout = 1s;
    Alerter a(io_, s);
    const auto start = std::chrono::steady_clock::now();
    const auto err = capture_stderr([&] {
        a.login_required("bob", "corp", Reason::invalid_grant);
        drain(a);
    });
    EXPECT_LT(std::chrono::steady_clock::now() - start, 10s);
    EXPECT_NE(err.find("<3>notify command /bin/sleep for credentials/bob/corp timed out after 1000 ms and was killed "
                       "MESSAGE_ID=26f56b5374d043b5866cc2ab518f9d40"),
              std::string::npos)
        << err;
}

TEST_F(AlerterTest, ANonZeroExitIsLogged) {
    Settings s;
    s.command = {"/bin/false"};
    Alerter a(io_, s);
    const auto err = capture_stderr([&] {
        a.login_required("bob", "corp", Reason::invalid_grant);
        drain(a);
    });
    EXPECT_NE(err.find("notify command /bin/false for credentials/bob/corp exited with status 1"), std::string::npos)
        << err;
}

TEST_F(AlerterTest, WithoutACommandOnlyTheLineIsWritten) {
    Alerter a(io_, Settings{});
    const auto err = capture_stderr([&] { a.login_required("alice", "demo", Reason::invalid_grant); });
    EXPECT_EQ(a.running(), 0U);
    EXPECT_NE(err.find("MESSAGE_ID=cbcb31fa6d184a078df530745078847b"), std::string::npos) << err;
}

// Once credd is stopping, its drain would wait for a command: the line
// still goes out, and says that the command is not run.
TEST_F(AlerterTest, OnceStoppedTheLineIsWrittenAndNoCommandStarts) {
    Alerter a(io_, recording());
    a.stop();
    const auto err = capture_stderr([&] { a.login_required("alice", "demo", Reason::invalid_grant); });
    EXPECT_EQ(a.running(), 0U);
    EXPECT_NE(err.find("MESSAGE_ID=cbcb31fa6d184a078df530745078847b"), std::string::npos) << err;
    EXPECT_NE(err.find("credd is stopping: notify command /bin/sh not run for credentials/alice/demo"),
              std::string::npos)
        << err;
    io_.poll();
    EXPECT_FALSE(std::ifstream(log_).good()) << "the command ran";
}

// A user who turns a credential of their own login_required and valid
// again, round after round: the line each time, the command five times,
// then one more per ten minutes; another user's alert still runs its own.
TEST_F(AlerterTest, OneUsersRoundsStartFiveCommandsThenOnePerTenMinutes) {
    std::chrono::steady_clock::time_point now{};
    Alerter a(io_, recording(), [&now] { return now; });
    const auto round = [&](const std::string& user) {
        a.login_required(user, "demo", Reason::invalid_grant);
        a.valid(user, "demo");
    };
    const auto err = capture_stderr([&] {
        for (int i = 0; i < 8; ++i) round("mallory");
        round("alice");
        drain(a);
    });
    const std::string not_run =
        "notify command /bin/sh not run for credentials/mallory/demo: the credentials of "
        "mallory started 5 commands lately; one more may start every 600 s";
    EXPECT_EQ(lines_with(err, "credentials/mallory/demo needs a login"), 8) << err;
    EXPECT_EQ(lines_with(err, not_run), 3) << err;
    EXPECT_EQ(lines_with(slurp(log_), "--user mallory demo"), 5);
    EXPECT_EQ(lines_with(slurp(log_), "--user alice demo"), 1);
    now += k_command_refill;
    const auto later = capture_stderr([&] {
        round("mallory");
        round("mallory");
        drain(a);
    });
    EXPECT_EQ(lines_with(later, not_run), 1) << later;
    EXPECT_EQ(lines_with(slurp(log_), "--user mallory demo"), 6);
}

// However many users alert at once, at most k_max_running_commands run.
TEST_F(AlerterTest, AtMostSixteenCommandsRunAtOnce) {
    Settings s;
    s.command = {"/bin/sleep", "30"};
    Alerter a(io_, s);
    std::size_t running = 0;
    // The commands write to the captured stderr: they end before the capture.
    const auto err = capture_stderr([&] {
        for (std::size_t i = 0; i <= k_max_running_commands; ++i) {
            a.login_required("user" + std::to_string(i), "demo", Reason::invalid_grant);
        }
        running = a.running();
        a.stop();
        drain(a);
    });
    EXPECT_EQ(running, k_max_running_commands);
    EXPECT_NE(err.find("notify command /bin/sleep not run for credentials/user16/demo: 16 commands are running "
                       "already"),
              std::string::npos)
        << err;
}

}  // namespace
}  // namespace credctl::notify
