#include "cli/commands/login_helper.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <array>
#include <climits>
#include <string>

namespace credctl::cli {
namespace {

std::string self_folder() {
    std::array<char, PATH_MAX> self{};
    const ssize_t n = ::readlink("/proc/self/exe", self.data(), self.size() - 1);
    const std::string path(self.data(), n > 0 ? static_cast<std::size_t>(n) : 0);
    return path.substr(0, path.rfind('/') + 1);
}

// This test program is neither credctl nor credctl-login: the helper is
// looked for at the installed layout's place beside it, and is not there.
TEST(LoginHelper, IsFoundBesideThisProgramsOwnFileNeverElsewhere) {
    const auto path = login_helper_path();
    ASSERT_TRUE(path) << path.error().message;
    EXPECT_TRUE(path->starts_with(self_folder())) << *path;
    EXPECT_TRUE(path->ends_with("/libexec/credctl/credctl-login")) << *path;
}

TEST(LoginHelper, AMissingHelperIsNotFoundAndNamed) {
    const auto path = login_helper_path();
    ASSERT_TRUE(path) << path.error().message;
    ASSERT_NE(::access(path->c_str(), F_OK), 0);
    const auto exe = login_helper_exe();
    ASSERT_FALSE(exe);
    EXPECT_EQ(exe.error().code, Errc::not_found);
    EXPECT_NE(exe.error().message.find(*path), std::string::npos) << exe.error().message;
}

// The commands module, which credctl loads for every line but the plain
// ones, is looked for the same way, beside credctl-login.
TEST(CommandsModule, IsFoundBesideThisProgramsOwnFileNeverElsewhere) {
    const auto path = commands_module_path();
    ASSERT_TRUE(path) << path.error().message;
    EXPECT_TRUE(path->starts_with(self_folder())) << *path;
    EXPECT_TRUE(path->ends_with("/libexec/credctl/credctl-commands.so")) << *path;
    const auto helper = login_helper_path();
    ASSERT_TRUE(helper) << helper.error().message;
    EXPECT_EQ(path->substr(0, path->rfind('/')), helper->substr(0, helper->rfind('/')));
}

}  // namespace
}  // namespace credctl::cli
