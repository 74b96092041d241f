// credd's configuration (credctl.toml(5)): where it listens and stores, its
// limits and its providers. Loaded once at start; an immutable value after.
//
// Thread-safety: load_daemon_config() is reentrant; DaemonConfig is a value.
#pragma once

#include "common/config/provider.hpp"
#include "common/error/error.hpp"
#include "daemon/audit/audit.hpp"
#include "daemon/notify/settings.hpp"
#include "daemon/policy/policy.hpp"
#include "daemon/tokens/refresh_pace.hpp"

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace credctl::daemon {

struct Limits {
    // docs/api.md "Limits": big enough for any sane request line and headers.
    std::size_t max_head_bytes = 8 * 1024;
    // docs/api.md "Limits": a credential with a long refresh token fits many
    // times over.
    std::size_t max_body_bytes = 64 * 1024;
    // A client that connects and says nothing must not pin a session.
    std::chrono::seconds idle_timeout{10};
    std::size_t max_connections = 1024;
    std::size_t max_connections_per_uid = 64;
    // Whole exchange with a provider (discovery, token endpoint).
    std::chrono::seconds provider_timeout{15};
    // Refreshes one caller may have of one credential (refresh_burst,
    // refresh_interval_seconds; daemon/tokens/refresh_pace.hpp).
    tokens::PaceSettings refresh_pace{};
};

// [store.etcd] (credctl.toml(5), docs/fleet.md): the cluster a fleet of
// credds shares.
struct EtcdSettings {
    std::vector<std::string> endpoints;  // https://, or http:// on loopback
    std::string prefix = "/credd/";      // every key credd writes is below it
    std::int64_t lease_seconds = 10;     // the refresh lock's lease
    std::chrono::seconds request_timeout{5};
    std::string ca_file;    // empty: the system trust store
    std::string cert_file;  // client certificate (mTLS), with key_file
    std::string key_file;
};

enum class StoreBackend { lmdb, etcd };

// [store] (credctl.toml(5)).
struct StoreSettings {
    StoreBackend backend = StoreBackend::lmdb;
    EtcdSettings etcd;
    // The LMDB map doubles when full up to this cap; at the cap writes fail
    // with store_full and reads go on.
    std::size_t max_map_bytes = std::size_t{4} << 30;
    // Per-user mode: create <state_dir>/master.key on the first start.
    // System configs set false and provide key_file or a systemd credential.
    bool generate_key = true;
};

struct DaemonConfig {
    std::string socket;
    unsigned socket_mode = 0600;  // 0666 lets other users reach the policy
    std::string state_dir;
    std::string key_file;    // empty: <state_dir>/master.key, created on first start
    std::string audit_file;  // empty: audit lines go to stderr only
    audit::Settings audit;   // [audit] but for file: cap, rotation, denial limit
    policy::Policy policy;   // owner_access, [roles.*], [[grants]]
    Limits limits;
    StoreSettings store;
    notify::Settings notify;  // [notify]: a word when a login is needed
    std::vector<ProviderConfig> providers;
};

// Defaults of per-user mode, from $XDG_RUNTIME_DIR and $XDG_STATE_HOME.
[[nodiscard]] Result<DaemonConfig> default_user_config();

// Reads `path` over the per-user defaults. Errors name file, line and key:
// `credd.toml:14: limits.max_body_bytes: must be between 1024 and ...: 5`.
[[nodiscard]] Result<DaemonConfig> load_daemon_config(const std::string& path);
// The same over other defaults (daemon_mode.hpp: system mode's).
[[nodiscard]] Result<DaemonConfig> load_daemon_config(const std::string& path, DaemonConfig defaults);

}  // namespace credctl::daemon
