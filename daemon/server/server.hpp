// The credd server: a Unix socket speaking HTTP/1.1 (Beast over Asio local
// sockets), one linear coroutine per connection, connections counted by uid
// before any other work (over the per-uid limit they wait their turn,
// daemon/server/admission.hpp), the limits of docs/api.md "Limits" set before
// every read, request bytes zeroed when freed, a clean drain on SIGTERM or
// SIGINT, and an atomic policy reload on SIGHUP.
//
// Used by credd's main. Thread-safety: run_server() owns its I/O thread, a
// thread that only closes finished connections (daemon/server/closer.hpp)
// and one that hashes executables (daemon/peer/exe_hasher.hpp).
#pragma once

#include "common/error/error.hpp"
#include "daemon/config/daemon_config.hpp"
#include "daemon/store/maintenance.hpp"
#include "daemon/store/store.hpp"

#include <functional>

namespace credctl::server {

struct ServeOptions {
    // An already listening socket from socket activation (daemon/systemd),
    // served instead of binding config.socket; its path belongs to systemd
    // and is left in place at exit. -1: bind config.socket.
    int listen_fd = -1;
};

// Reads the configuration again (SIGHUP).
using Reloader = std::function<Result<daemon::DaemonConfig>()>;

// Serves until SIGTERM or SIGINT, then drains in-flight requests and returns.
// On SIGHUP, calls `reload` and swaps in the new policy and audit log; a
// config that fails to load or whose audit log cannot be opened is rejected
// with a logged reason and the old one stays in force. Every changed value is
// logged; a change to a key that needs a restart (socket, state, key, limits,
// store, providers: daemon/config/config_keys.hpp) rejects the reload whole.
// `maintenance` (may be null) backs the admin routes; an interrupted key
// rotation is resumed at start.
// Tells the service manager READY=1, RELOADING=1 (then READY=1 again),
// STOPPING=1 and WATCHDOG=1 when $NOTIFY_SOCKET is set
// (daemon/systemd/notify.hpp).
// Errors: the socket cannot be set up (bad directory, another daemon
// listening, a non-socket file in the way, an unusable activated fd), or the
// audit log cannot be opened.
[[nodiscard]] Result<void> run_server(const daemon::DaemonConfig& config, store::Store& store,
                                      store::Maintenance* maintenance, Reloader reload,
                                      const ServeOptions& options = {});

}  // namespace credctl::server
