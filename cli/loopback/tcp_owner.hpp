// Which uid owns the other end of a loopback TCP connection.
//
// The login listener (loopback.hpp) must take a callback only from the
// user's own browser: any local user can connect to 127.0.0.1. For a
// connection accepted from 127.0.0.1:P to our 127.0.0.1:L, the client's
// socket is the row of /proc/net/tcp (or /proc/net/tcp6, for an IPv4-mapped
// client) whose local address is :P and remote address is :L; its `uid`
// column is the socket's owner. Both ends live in our network namespace, so
// the row is in our view of /proc/net.
//
// Thread-safety: reentrant.
#pragma once

#include <netinet/in.h>
#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace credctl::cli {

// An IPv4 endpoint as the kernel writes it in /proc/net/tcp ("0100007F:1F90"
// for 127.0.0.1:8080 on a little-endian host) and, IPv4-mapped, in
// /proc/net/tcp6 ("0000000000000000FFFF00000100007F:1F90").
[[nodiscard]] std::string proc_net_tcp_endpoint(in_addr address, std::uint16_t port);
[[nodiscard]] std::string proc_net_tcp6_endpoint(in_addr address, std::uint16_t port);

// The uid column of the row of `table` (the text of /proc/net/tcp or tcp6)
// whose local and remote addresses are `local` and `remote`, as formatted
// above; std::nullopt when there is no such row.
[[nodiscard]] std::optional<uid_t> find_tcp_owner(std::string_view table, std::string_view local,
                                                  std::string_view remote);

// The owner of the client socket of a connection accepted from `peer` to
// `self` (ports in host order), read from /proc/net/tcp and tcp6;
// std::nullopt when it cannot be found (the client already gone).
[[nodiscard]] std::optional<uid_t> tcp_peer_owner(in_addr peer, std::uint16_t peer_port, in_addr self,
                                                  std::uint16_t self_port);

}  // namespace credctl::cli
