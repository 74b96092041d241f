// Safe creation of the daemon's listening socket path.
//
// No directory above the parent may be changed by a uid but root and
// credd's (fs::check_ancestors()). The parent directory is created (0700, or
// 0711 when the socket is meant for other users) or must already be owned by
// us and not writable by others (or be a sticky directory of root's, /tmp).
// Whatever sits at the socket path is removed only when it is a socket owned
// by us that nothing answers on (a stale one from a crashed daemon).
#pragma once

#include "common/error/error.hpp"

#include <boost/asio/local/stream_protocol.hpp>

#include <string>

namespace credctl::server {

[[nodiscard]] Result<void> prepare_socket_path(const std::string& path, unsigned socket_mode);

// Prepares `path` as above, then binds `acceptor` to it and listens. The
// socket file has `socket_mode` from the first instant (bind(2) under the
// umask that leaves it), and its mode is never set by path afterwards.
// Sets the process's umask for the bind: no other thread may create a file
// meanwhile (none of credd's does before it listens).
[[nodiscard]] Result<void> listen_on(boost::asio::local::stream_protocol::acceptor& acceptor, const std::string& path,
                                     unsigned socket_mode);

}  // namespace credctl::server
