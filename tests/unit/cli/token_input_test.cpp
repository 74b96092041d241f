#include "cli/commands/token_input.hpp"

#include <gtest/gtest.h>

#include <cstdio>
#include <memory>
#include <stdexcept>
#include <string>

namespace credctl::cli {
namespace {

GitRequest git_request(std::string text) {
    const std::unique_ptr<std::FILE, int (*)(std::FILE*)> in(::fmemopen(text.data(), text.size(), "r"), &std::fclose);
    if (!in) throw std::runtime_error("fmemopen failed");
    return read_git_request(in.get());
}
std::string git_username(const std::string& text) {
    return git_request(text).username;
}
bool answered(const std::string& text) {
    return git_request_may_have_token(git_request(text));
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

TEST(TokenInput, GitRequestKeepsProtocolAndHost) {
    const auto r = git_request("protocol=https\nhost=git.example.com:8443\npath=a/b\nusername=alice\n\n");
    EXPECT_EQ(r.protocol, "https");
    EXPECT_EQ(r.host, "git.example.com:8443");
    EXPECT_EQ(r.username, "alice");
    EXPECT_EQ(git_request("host=a\nhost=b\n").host, "b");
    EXPECT_EQ(git_request("protocol=https\r\n").protocol, "");
}

TEST(TokenInput, ATokenAnswersHttpsAndPlainHttpToThisMachineOnly) {
    EXPECT_TRUE(answered("protocol=https\nhost=github.com\n"));
    EXPECT_TRUE(answered("protocol=http\nhost=127.0.0.1:8080\n"));
    EXPECT_TRUE(answered("protocol=http\nhost=localhost\n"));
    EXPECT_TRUE(answered("protocol=http\nhost=[::1]:3000\n"));
    EXPECT_TRUE(answered(""));  // not git: a person asking
    // In the clear to another host, or a certificate's passphrase: nothing.
    EXPECT_FALSE(answered("protocol=http\nhost=attacker.example\n"));
    EXPECT_FALSE(answered("protocol=http\nhost=127.attacker.example:80\n"));
    EXPECT_FALSE(answered("protocol=http\nhost=[::1\n"));
    EXPECT_FALSE(answered("protocol=http\n"));
    EXPECT_FALSE(answered("protocol=cert\npath=/home/alice/client.p12\n"));
    EXPECT_FALSE(answered("protocol=ftp\nhost=localhost\n"));
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
