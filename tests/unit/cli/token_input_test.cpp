#include "cli/commands/token_input.hpp"

#include <gtest/gtest.h>

#include <cstdio>
#include <memory>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

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

// /proc/net/tcp and tcp6 as the kernel writes them: a header, then rows of
// sl, local and remote address, state (0A: listening), queues, timers and uid.
std::string tcp_table(const std::vector<std::pair<std::string, int>>& listening) {
    std::string t =
        "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n";
    for (const auto& [local, uid] : listening) {
        t += "   0: " + local + " 00000000:0000 0A 00000000:00000000 00:00000000 00000000  " + std::to_string(uid) +
             "        0 4242 1 0000000000000000 100 0 0 10 0\n";
    }
    // An established connection of another uid on the port: not a server.
    t += "   1: 0100007F:1FBB 0100007F:9C40 01 00000000:00000000 00:00000000 00000000  1001        0 4243 1\n";
    return t;
}

TEST(TokenInput, PlainHttpToThisMachineGoesOnlyToTheUsersOwnServer) {
    const auto to = [](const char* host) { return git_request(std::string("protocol=http\nhost=") + host + "\n"); };
    const std::string none = tcp_table({});
    // 127.0.0.1:8123 (0x1FBB) listened on by uid 1000.
    const std::string ours = tcp_table({{"0100007F:1FBB", 1000}});
    EXPECT_TRUE(loopback_server_is_users(to("127.0.0.1:8123"), 1000, ours, none));
    EXPECT_TRUE(loopback_server_is_users(to("localhost:8123"), 1000, ours, none));
    EXPECT_FALSE(loopback_server_is_users(to("127.0.0.1:8123"), 1001, ours, none)) << "another user's server";
    EXPECT_FALSE(loopback_server_is_users(to("127.0.0.1:8124"), 1000, ours, none)) << "nobody listens there";
    EXPECT_FALSE(loopback_server_is_users(to("127.0.0.1"), 1000, ours, none)) << "port 80: nobody listens there";
    // Another user on ::1 at the same port: git may reach either.
    const std::string theirs6 = tcp_table({{"00000000000000000000000001000000:1FBB", 1001}});
    EXPECT_FALSE(loopback_server_is_users(to("localhost:8123"), 1000, ours, theirs6));
    // Every address (0.0.0.0, ::), and IPv4-mapped loopback, count; another address does not.
    EXPECT_FALSE(loopback_server_is_users(to("127.0.0.1:8123"), 1000, ours,
                                          tcp_table({{std::string(32, '0') + ":1FBB", 1001}})));
    EXPECT_FALSE(loopback_server_is_users(to("127.0.0.1:8123"), 1000,
                                          tcp_table({{"00000000:1FBB", 1001}, {"0100007F:1FBB", 1000}}), none));
    EXPECT_FALSE(loopback_server_is_users(to("127.0.0.1:8123"), 1000, ours,
                                          tcp_table({{"0000000000000000FFFF00000100007F:1FBB", 1001}})));
    EXPECT_TRUE(loopback_server_is_users(to("127.0.0.1:8123"), 1000,
                                         tcp_table({{"0100007F:1FBB", 1000}, {"0501A8C0:1FBB", 1001}}), none));
    EXPECT_TRUE(loopback_server_is_users(to("[::1]:80"), 1000, none,
                                         tcp_table({{"00000000000000000000000001000000:0050", 1000}})));
    EXPECT_FALSE(loopback_server_is_users(to("127.0.0.1:99999"), 1000, ours, none));
    EXPECT_FALSE(loopback_server_is_users(to("127.0.0.1:x"), 1000, ours, none));
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
