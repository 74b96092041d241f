// credd's two modes (credd(8) MODES) and what each one defaults to.
//
//   system: socket /run/credd/credd.sock (0666: policy decides, not file
//           modes), state /var/lib/credd, config /etc/credctl/credd.toml;
//           the master key must be provided (systemd credential or key_file).
//   user:   socket $XDG_RUNTIME_DIR/credd/credd.sock, state
//           $XDG_STATE_HOME/credd, config $XDG_CONFIG_HOME/credctl/credd.toml;
//           a master key is generated on first start.
//
// Master key sources, first found wins (docs/store-format.md "Master key",
// store::find_master_key):
// the systemd credential $CREDENTIALS_DIRECTORY/credd.key, the config's
// key_file, then (user mode, store.generate_key) <state_dir>/master.key,
// created when missing. master_key_source() only names the source, for
// --check-config and a clear error before the store is touched.
//
// Used by credd's main and daemon.cpp. Thread-safety: reads the environment.
#pragma once

#include "common/error/error.hpp"
#include "daemon/config/daemon_config.hpp"

#include <string>

namespace credctl::daemon {

enum class Mode { user, system };

inline constexpr const char* k_system_socket = "/run/credd/credd.sock";
inline constexpr const char* k_system_state_dir = "/var/lib/credd";
inline constexpr const char* k_system_config = "/etc/credctl/credd.toml";
inline constexpr const char* k_credential_name = "credd.key";  // LoadCredential=credd.key:...

// System mode when started by the system service manager (PID 1 is our
// parent and $NOTIFY_SOCKET is its socket), user mode otherwise.
[[nodiscard]] Mode default_mode();

// The mode's config file; in user mode it may not exist (defaults apply).
[[nodiscard]] std::string default_config_file(Mode mode);

[[nodiscard]] Result<DaemonConfig> mode_defaults(Mode mode);

// `path` over the mode's defaults; empty `path`: the mode's default file if
// it exists (system mode: it must), else the defaults alone.
[[nodiscard]] Result<DaemonConfig> load_config_for(Mode mode, const std::string& path);
// The file load_config_for() reads for `path`; "" when it reads none.
[[nodiscard]] std::string config_file_for(Mode mode, const std::string& path);

struct KeySource {
    std::string path;
    bool create_if_missing = false;
    std::string origin;  // "systemd credential", "key_file", "generated"
};

// Errors: neither a systemd credential nor key_file, in system mode or with
// store.generate_key = false.
[[nodiscard]] Result<KeySource> master_key_source(Mode mode, const DaemonConfig& config);

// System mode only: an existing state directory must belong to the uid credd
// runs as, so that `sudo credd --system` by hand cannot leave root-owned
// store files that credd.service (user credd) can no longer open.
// Errors: internal, naming the directory and both uids.
[[nodiscard]] Result<void> check_state_owner(Mode mode, const DaemonConfig& config);

[[nodiscard]] const char* to_string(Mode mode);

}  // namespace credctl::daemon
