// A lingering close: how a session ends after refusing a request it has not
// read to the end (docs/api.md "Limits").
//
// A client still sending a refused request's body would have its next write
// fail with EPIPE once credd closed the socket, and a client such as curl
// stops there without reading the refusal. So credd shuts down its sending
// side after the answer (the client reads the refusal, then end of file) and
// reads and discards what the client still sends, up to k_linger_bytes or
// k_linger_time, whichever comes first, before the socket is closed. The
// connection keeps its uid's slot meanwhile, so a client that makes credd
// linger only waits for itself.
//
// Internal to the server (daemon/server/server.cpp). Thread-safety: the I/O
// thread's.
#pragma once

#include "daemon/server/session_state.hpp"

#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <cstddef>

namespace credctl::server {

inline constexpr std::size_t k_linger_bytes = 1024 * 1024;
inline constexpr std::chrono::seconds k_linger_time{2};

// Shuts down the sending side of `stream`, then discards what arrives until
// the client closes, k_linger_bytes are read, k_linger_time has passed or
// the socket is closed (a stop of the server). The discarded bytes are
// zeroed: a refused body may hold a refresh token. The caller closes the
// socket after.
boost::asio::awaitable<void> linger(Stream& stream);

}  // namespace credctl::server
