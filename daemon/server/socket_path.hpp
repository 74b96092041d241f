// Safe creation of the daemon's listening socket path.
//
// The parent directory is created (0700, or 0711 when the socket is meant for
// other users) or must already be owned by us and not writable by others.
// Whatever sits at the socket path is removed only when it is a socket owned
// by us that nothing answers on (a stale one from a crashed daemon).
#pragma once

#include "common/error/error.hpp"

#include <string>

namespace credctl::server {

[[nodiscard]] Result<void> prepare_socket_path(const std::string& path, unsigned socket_mode);

}  // namespace credctl::server
