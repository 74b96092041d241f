// What `credd --check-config` prints: every key of config_keys.hpp with its
// effective value and where that value came from (the default, the file and
// line, or the environment). Values are those of DaemonConfig, which holds
// paths to secrets, never secrets.
//
// Thread-safety: reads the environment and the file; no shared state.
#pragma once

#include "common/error/error.hpp"
#include "daemon/config/daemon_mode.hpp"

#include <string>
#include <vector>

namespace credctl::daemon {

struct DaemonConfig;

struct ReportLine {
    std::string key;     // "limits.idle_timeout_seconds", "providers.github.issuer"
    std::string value;   // TOML spelling: "20", "\"/run/credd\""
    std::string source;  // "default", "credd.toml:3", "environment XDG_RUNTIME_DIR"
};

// `file`: the file `config` was loaded from, or "" when none was (per-user
// mode without a config file). Errors: `file` cannot be parsed again.
[[nodiscard]] Result<std::vector<ReportLine>> report_config(const DaemonConfig& config, Mode mode,
                                                            const std::string& file);

// One line per key: "limits.idle_timeout_seconds = 20  # credd.toml:3".
[[nodiscard]] std::string format_report(const std::vector<ReportLine>& lines);

}  // namespace credctl::daemon
