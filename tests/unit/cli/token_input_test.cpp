#include "cli/commands/token_input.hpp"

#include <gtest/gtest.h>

#include <sstream>

namespace credctl::cli {
namespace {

std::string git_username(const std::string& text) {
    std::istringstream in(text);
    return read_git_username(in);
}

TEST(TokenInput, GitUsernameIsTheLastUsernameLineBeforeTheBlankLine) {
    EXPECT_EQ(git_username("protocol=https\nhost=github.com\nusername=alice\n\n"), "alice");
    EXPECT_EQ(git_username("username=a\nusername=b\n"), "b");
    EXPECT_EQ(git_username("username=a\n\nusername=after-the-blank-line\n"), "a");
}

TEST(TokenInput, GitRequestWithoutUsernameGivesNone) {
    EXPECT_EQ(git_username("protocol=https\nhost=github.com\n"), "");
    EXPECT_EQ(git_username(""), "");
}

TEST(TokenInput, GitUsernameWithAControlCharacterIsIgnored) {
    // Echoed back, it would answer git with a line holding a NUL or a CR.
    EXPECT_EQ(git_username(std::string("username=al\0ice\n", 16)), "");
    EXPECT_EQ(git_username("username=alice\r\n"), "");
    EXPECT_EQ(git_username("username=bob\nusername=al\x01ice\n"), "bob");
}

TEST(TokenInput, ExecApiVersionIsV1UnlessV1beta1IsAsked) {
    EXPECT_EQ(exec_api_version(nullptr), "client.authentication.k8s.io/v1");
    EXPECT_EQ(exec_api_version("not json"), "client.authentication.k8s.io/v1");
    EXPECT_EQ(exec_api_version(R"({"apiVersion":"client.authentication.k8s.io/v1beta1","kind":"ExecCredential"})"),
              "client.authentication.k8s.io/v1beta1");
    EXPECT_EQ(exec_api_version(R"({"apiVersion":"client.authentication.k8s.io/v2"})"),
              "client.authentication.k8s.io/v1");
    EXPECT_EQ(exec_api_version(R"({"apiVersion":7})"), "client.authentication.k8s.io/v1");
}

}  // namespace
}  // namespace credctl::cli
