// The credd server: a Unix socket speaking HTTP/1.1 (Beast over Asio local
// sockets), one linear coroutine per connection, the limits of SPEC §4 set
// before every read, and a clean drain on SIGTERM or SIGINT.
//
// Used by credd's main. Thread-safety: run_server() owns its I/O thread.
#pragma once

#include "common/error/error.hpp"
#include "daemon/config/daemon_config.hpp"
#include "daemon/store/store.hpp"

namespace credctl::server {

struct ServeOptions {
    // An already listening socket from socket activation (daemon/systemd),
    // served instead of binding config.socket; its path belongs to systemd
    // and is left in place at exit. -1: bind config.socket.
    int listen_fd = -1;
};

// Serves until SIGTERM or SIGINT, then drains in-flight requests and returns.
// Tells the service manager READY=1, STOPPING=1 and WATCHDOG=1 when
// $NOTIFY_SOCKET is set (daemon/systemd/notify.hpp).
// Errors: the socket cannot be set up (bad directory, another daemon
// listening, a non-socket file in the way, an unusable activated fd).
[[nodiscard]] Result<void> run_server(const daemon::DaemonConfig& config, store::Store& store,
                                      const ServeOptions& options = {});

}  // namespace credctl::server
