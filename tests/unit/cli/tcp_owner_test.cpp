#include "cli/loopback/tcp_owner.hpp"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

namespace credctl::cli {
namespace {

in_addr v4(const char* text) {
    in_addr a{};
    ::inet_pton(AF_INET, text, &a);
    return a;
}

// Two rows of a real /proc/net/tcp: a listener on 127.0.0.1:39215 (uid 0)
// and a client 127.0.0.1:51324 -> :39215 of uid 1001.
constexpr std::string_view k_table =
    "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n"
    "   0: 0100007F:992F 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 41 1 0 100 0 0 10 0\n"
    "   1: 0100007F:C87C 0100007F:992F 01 00000000:00000000 00:00000000 00000000  1001        0 42 1 0 20 4 30 10 "
    "-1\n"
    "   2: 0100007F:992F 0100007F:C87C 01 00000000:00000000 00:00000000 00000000     0        0 43 1 0 20 4 30 10 "
    "-1\n";

TEST(TcpOwner, FormatsEndpointsAsTheKernelPrintsThem) {
    ASSERT_NE(htonl(1), 1u) << "this test knows little-endian hosts only";
    EXPECT_EQ(proc_net_tcp_endpoint(v4("127.0.0.1"), 39215), "0100007F:992F");
    EXPECT_EQ(proc_net_tcp6_endpoint(v4("127.0.0.1"), 8080), "0000000000000000FFFF00000100007F:1F90");
}

TEST(TcpOwner, FindsTheClientRowByBothEndpoints) {
    EXPECT_EQ(find_tcp_owner(k_table, "0100007F:C87C", "0100007F:992F"), uid_t{1001});
    // Our own accepted socket is the mirror row: it is not the client's.
    EXPECT_EQ(find_tcp_owner(k_table, "0100007F:992F", "0100007F:C87C"), uid_t{0});
}

TEST(TcpOwner, NoRowOrAHeaderOnlyGivesNothing) {
    EXPECT_FALSE(find_tcp_owner(k_table, "0100007F:C87D", "0100007F:992F").has_value());
    EXPECT_FALSE(find_tcp_owner("", "0100007F:C87C", "0100007F:992F").has_value());
    EXPECT_FALSE(find_tcp_owner("  sl  local_address rem_address st tx rx tr uid\n", "local_address", "rem_address")
                     .has_value());
}

TEST(TcpOwner, TheClientOfARealLoopbackConnectionIsOurs) {
    const int server = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr = v4("127.0.0.1");
    ASSERT_EQ(::bind(server, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    ASSERT_EQ(::listen(server, 1), 0);
    socklen_t len = sizeof addr;
    ASSERT_EQ(::getsockname(server, reinterpret_cast<sockaddr*>(&addr), &len), 0);
    const int client = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    ASSERT_EQ(::connect(client, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    sockaddr_in peer{};
    len = sizeof peer;
    const int accepted = ::accept(server, reinterpret_cast<sockaddr*>(&peer), &len);
    ASSERT_GE(accepted, 0);
    EXPECT_EQ(tcp_peer_owner(peer.sin_addr, ntohs(peer.sin_port), addr.sin_addr, ntohs(addr.sin_port)), ::getuid());
    EXPECT_FALSE(tcp_peer_owner(peer.sin_addr, static_cast<std::uint16_t>(ntohs(peer.sin_port) + 1), addr.sin_addr,
                                ntohs(addr.sin_port))
                     .has_value());
    for (int fd : {accepted, client, server}) ::close(fd);
}

}  // namespace
}  // namespace credctl::cli
