// Starting a per-user credd on demand, for users who set `autostart = true`
// in the client configuration (credctl.toml(5)): when nothing answers on the
// per-user socket, credctl starts `credd --user` in its own session, detached
// from the terminal, and waits for it to answer.
//
// credd is looked for in $PATH, then /usr/sbin and /usr/local/sbin.
// Used by make_client (cli/commands). Thread-safety: call from one thread.
#pragma once

#include "common/error/error.hpp"

#include <string>

namespace credctl::cli {

// Ok at once when something answers on `socket`. Errors: daemon_unreachable
// when no credd binary is found or the started one does not answer in time.
[[nodiscard]] Result<void> ensure_user_daemon(const std::string& socket);

}  // namespace credctl::cli
