// Safe creation of the daemon's listening socket path.
//
// The parent directory is created (0700, or 0711 when the socket is meant for
// other users) or must already be owned by us and not writable by others.
// Whatever sits at the socket path is removed only when it is a socket owned
// by us that nothing answers on (a stale one from a crashed daemon).
#pragma once

#include "common/error/error.hpp"

#include <boost/asio/local/stream_protocol.hpp>

#include <string>

namespace credctl::server {

[[nodiscard]] Result<void> prepare_socket_path(const std::string& path, unsigned socket_mode);

// Prepares `path` as above, then binds `acceptor` to it and listens. The
// socket file is 0600 from the first instant (bind(2) under umask 0177),
// then widened to `socket_mode` if that is wider.
[[nodiscard]] Result<void> listen_on(boost::asio::local::stream_protocol::acceptor& acceptor, const std::string& path,
                                     unsigned socket_mode);

}  // namespace credctl::server
