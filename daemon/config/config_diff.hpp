// What changed between two loaded configurations, key by key, from the rows
// of config_keys.hpp. Used by the server's SIGHUP reload: it logs every
// change, applies those a reload may apply, and refuses the reload when one
// of them needs a restart.
//
// Thread-safety: pure functions of their arguments.
#pragma once

#include "common/error/error.hpp"
#include "daemon/config/config_keys.hpp"

#include <string>
#include <vector>

namespace credctl::daemon {

struct DaemonConfig;

struct ConfigChange {
    // "limits.idle_timeout_seconds", "providers.github.issuer", or
    // "providers.github" for a provider added or removed.
    std::string key;
    std::string before, after;  // TOML spellings; "(none)" for a missing provider
    Reload reload = Reload::needs_restart;
};

// Changes in row order, then providers by name. Values never include a
// secret: the config holds paths to secrets only.
[[nodiscard]] std::vector<ConfigChange> diff_config(const DaemonConfig& before, const DaemonConfig& after);

// The changes, when a reload may apply them all; else an error naming each
// change that needs a restart: "needs a restart: limits.max_connections
// 1024 → 10; providers.github (configured) → (none)".
[[nodiscard]] Result<std::vector<ConfigChange>> reloadable_changes(const DaemonConfig& before,
                                                                   const DaemonConfig& after);

// "limits.idle_timeout_seconds 10 → 20".
[[nodiscard]] std::string describe(const ConfigChange& change);

}  // namespace credctl::daemon
