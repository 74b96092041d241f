// The credd server: a Unix socket speaking HTTP/1.1 (Beast over Asio local
// sockets), one linear coroutine per connection, the limits of SPEC §4 set
// before every read, and a clean drain on SIGTERM or SIGINT.
//
// Used by credd's main. Thread-safety: run_server() owns its I/O thread.
#pragma once

#include "common/error/error.hpp"
#include "daemon/config/daemon_config.hpp"
#include "daemon/store/maintenance.hpp"
#include "daemon/store/store.hpp"

namespace credctl::server {

// Serves until SIGTERM or SIGINT, then drains in-flight requests and returns.
// `maintenance` (may be null) backs the admin routes; an interrupted key
// rotation is resumed at start.
// Errors: the socket cannot be set up (bad directory, another daemon
// listening, a non-socket file in the way).
[[nodiscard]] Result<void> run_server(const daemon::DaemonConfig& config, store::Store& store,
                                      store::Maintenance* maintenance);

}  // namespace credctl::server
