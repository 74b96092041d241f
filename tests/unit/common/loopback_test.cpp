#include "common/net/loopback.hpp"

#include <gtest/gtest.h>

namespace credctl::net {
namespace {

TEST(Loopback, LocalhostAndLoopbackAddressesAreLoopback) {
    EXPECT_TRUE(is_loopback_host("localhost"));
    EXPECT_TRUE(is_loopback_host("::1"));
    EXPECT_TRUE(is_loopback_host("127.0.0.1"));
    EXPECT_TRUE(is_loopback_host("127.1.2.3"));
}

TEST(Loopback, OtherHostsAreNot) {
    EXPECT_FALSE(is_loopback_host("example.com"));
    EXPECT_FALSE(is_loopback_host("10.0.0.1"));
    EXPECT_FALSE(is_loopback_host("::2"));
    EXPECT_FALSE(is_loopback_host("128.0.0.1"));
    EXPECT_FALSE(is_loopback_host(""));
    // Names that start like a loopback address are resolved by DNS.
    EXPECT_FALSE(is_loopback_host("127.attacker.example"));
    EXPECT_FALSE(is_loopback_host("127.0.0.1.attacker.example"));
    EXPECT_FALSE(is_loopback_host("127."));
    EXPECT_FALSE(is_loopback_host("localhost.attacker.example"));
    EXPECT_FALSE(is_loopback_host(std::string_view("127.0.0.1\0x", 11)));
}

}  // namespace
}  // namespace credctl::net
