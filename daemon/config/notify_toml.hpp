// Reads [notify] of credd's config (credctl.toml(5)) into notify::Settings,
// with the bounds of its rows in config_keys.cpp. Errors name file, line and
// key: `credd.toml:7: notify.command: not an absolute path: "notify"`.
//
// Used by daemon_config.cpp. Thread-safety: reentrant.
#pragma once

#include "common/config/toml_fields.hpp"
#include "common/error/error.hpp"
#include "daemon/notify/settings.hpp"

namespace credctl::daemon {

[[nodiscard]] Result<void> read_notify(const config::Fields& f, notify::Settings& s);

}  // namespace credctl::daemon
