#include "daemon/config/daemon_config.hpp"

#include "common/config/local_user.hpp"
#include "common/config/provider_toml.hpp"
#include "common/wire/wire.hpp"
#include "daemon/config/config_keys.hpp"
#include "daemon/config/notify_toml.hpp"
#include "daemon/config/policy_toml.hpp"

#include <unistd.h>

namespace credctl::daemon {
namespace {

using config::Fields;

// An integer key with the bounds of its row (config_keys.cpp).
Result<std::optional<std::int64_t>> bounded(const Fields& f, std::string_view table, std::string_view leaf) {
    const auto& row = config_key(std::string(table) + "." + std::string(leaf));
    return f.integer(leaf, row.min, row.max);
}

Result<void> read_limits(const Fields& f, Limits& l) {
    if (auto r = f.only(keys_below("limits")); !r) return r;
    for (auto [key, field] :
         {std::pair{"max_head_bytes", &l.max_head_bytes}, std::pair{"max_body_bytes", &l.max_body_bytes},
          std::pair{"max_connections", &l.max_connections},
          std::pair{"max_connections_per_uid", &l.max_connections_per_uid}}) {
        auto v = bounded(f, "limits", key);
        if (!v) return v.error();
        if (*v) *field = static_cast<std::size_t>(**v);
    }
    auto idle = bounded(f, "limits", "idle_timeout_seconds");
    if (!idle) return idle.error();
    if (*idle) l.idle_timeout = std::chrono::seconds(**idle);
    auto pt = bounded(f, "limits", "provider_timeout_seconds");
    if (!pt) return pt.error();
    if (*pt) l.provider_timeout = std::chrono::seconds(**pt);
    auto burst = bounded(f, "limits", "refresh_burst");
    if (!burst) return burst.error();
    if (*burst) l.refresh_pace.burst = static_cast<std::uint32_t>(**burst);
    auto interval = bounded(f, "limits", "refresh_interval_seconds");
    if (!interval) return interval.error();
    if (*interval) l.refresh_pace.interval = std::chrono::seconds(**interval);
    return {};
}

Result<void> read_etcd(const Fields& f, EtcdSettings& e) {
    if (auto r = f.only(keys_below("store.etcd")); !r) return r;
    auto endpoints = f.strings("endpoints");
    if (!endpoints) return endpoints.error();
    if (*endpoints) e.endpoints = std::move(**endpoints);
    auto prefix = f.string("prefix");
    if (!prefix) return prefix.error();
    if (*prefix) {
        if (prefix->value().empty()) return f.error_at("prefix", "must not be empty: \"\"");
        e.prefix = **prefix;
    }
    auto lease = bounded(f, "store.etcd", "lease_seconds");
    if (!lease) return lease.error();
    if (*lease) e.lease_seconds = **lease;
    auto timeout = bounded(f, "store.etcd", "request_timeout_seconds");
    if (!timeout) return timeout.error();
    if (*timeout) e.request_timeout = std::chrono::seconds(**timeout);
    for (auto [key, field] :
         {std::pair{"ca_file", &e.ca_file}, std::pair{"cert_file", &e.cert_file}, std::pair{"key_file", &e.key_file}}) {
        auto v = f.path(key);
        if (!v) return v.error();
        if (*v) *field = **v;
    }
    if (e.cert_file.empty() != e.key_file.empty()) {
        return f.error_at(e.cert_file.empty() ? "key_file" : "cert_file",
                          "cert_file and key_file go together; only one is set");
    }
    return {};
}

Result<void> read_backend(const Fields& f, StoreSettings& s) {
    auto backend = f.string("backend");
    if (!backend) return backend.error();
    if (!*backend || **backend == "lmdb") return {};
    if (**backend != "etcd") return f.error_at("backend", "must be \"lmdb\" or \"etcd\": \"" + **backend + "\"");
    s.backend = StoreBackend::etcd;
    if (s.etcd.endpoints.empty()) return f.error_at("backend", "\"etcd\" needs [store.etcd] endpoints");
    return {};
}

Result<void> read_store(const Fields& f, StoreSettings& s) {
    if (auto r = f.only(keys_below("store")); !r) return r;
    auto etcd = f.table("etcd");
    if (!etcd) return etcd.error();
    if (*etcd != nullptr) {
        if (auto r = read_etcd(f.child(**etcd, "etcd"), s.etcd); !r) return r;
    }
    if (auto r = read_backend(f, s); !r) return r;
    auto cap = bounded(f, "store", "max_map_bytes");
    if (!cap) return cap.error();
    if (*cap) s.max_map_bytes = static_cast<std::size_t>(**cap);
    auto gen = f.boolean("generate_key");
    if (!gen) return gen.error();
    if (*gen) s.generate_key = **gen;
    return {};
}

// Smallest audit file cap: a few lines, so that a cap is never a typo for
// "no audit".
constexpr std::int64_t k_min_audit_file_bytes = 4096;

Result<void> read_audit(const Fields& f, std::string& file, audit::Settings& s) {
    if (auto r = f.only(keys_below("audit")); !r) return r;
    auto path = f.path("file");
    if (!path) return path.error();
    file = path->value_or("");
    auto cap = bounded(f, "audit", "max_file_bytes");
    if (!cap) return cap.error();
    if (*cap && **cap != 0 && **cap < k_min_audit_file_bytes) {
        return f.error_at("max_file_bytes", "must be 0 (no cap) or at least " + std::to_string(k_min_audit_file_bytes) +
                                                ": " + std::to_string(**cap));
    }
    if (*cap) s.max_file_bytes = static_cast<std::uint64_t>(**cap);
    for (auto [key, field] :
         {std::pair{"keep_files", &s.keep_files}, std::pair{"denial_burst", &s.denials.burst},
          std::pair{"denials_per_second", &s.denials.per_second}, std::pair{"allow_burst", &s.allows.burst},
          std::pair{"allows_per_second", &s.allows.per_second}}) {
        auto v = bounded(f, "audit", key);
        if (!v) return v.error();
        if (*v) *field = static_cast<std::uint32_t>(**v);
    }
    return {};
}

Result<void> read_providers(const Fields& f, const toml::table& providers, DaemonConfig& c) {
    for (const auto& [name, node] : providers) {
        const auto* t = node.as_table();
        if (t == nullptr) return f.error_at(name.str(), "must be a table");
        if (!wire::valid_name(name.str())) return f.error_at(name.str(), "not a valid provider name");
        auto p = config::parse_provider(f.child(*t, name.str()), std::string(name.str()));
        if (!p) return p.error();
        for (const auto& other : c.providers) {
            if (p->is_default && other.is_default) {
                return f.error_at(name.str(), "is marked default, and so is " + other.name + "; at most one may be");
            }
        }
        c.providers.push_back(std::move(*p));
    }
    return {};
}

}  // namespace

Result<DaemonConfig> default_user_config() {
    DaemonConfig c;
    c.socket = config::default_user_socket();
    c.state_dir = config::default_user_state_dir();
    c.policy = policy::make_policy(true, ::geteuid(), {});
    return c;
}

Result<DaemonConfig> load_daemon_config(const std::string& path) {
    auto c = default_user_config();
    if (!c) return c;
    return load_daemon_config(path, std::move(*c));
}

Result<DaemonConfig> load_daemon_config(const std::string& path, DaemonConfig defaults) {
    Result<DaemonConfig> c = std::move(defaults);
    auto parsed = config::parse_toml_file(path);
    if (!parsed) return parsed.error();
    const toml::table& root = *parsed;
    const std::string file = path.substr(path.find_last_of('/') + 1);
    Fields f(root, file, "");
    if (auto r = f.only(keys_below("")); !r) return r.error();
    for (auto [key, field] : {std::pair{"socket", &c->socket}, std::pair{"state_dir", &c->state_dir},
                              std::pair{"key_file", &c->key_file}}) {
        auto v = f.path(key);
        if (!v) return v.error();
        if (*v) *field = **v;
    }
    const auto& mode_row = config_key("socket_mode");
    auto mode = f.integer("socket_mode", mode_row.min, mode_row.max);
    if (!mode) return mode.error();
    if (*mode) {
        if (**mode != 0600 && **mode != 0666) return f.error_at("socket_mode", "must be 0o600 or 0o666");
        c->socket_mode = static_cast<unsigned>(**mode);
    }
    auto policy = policy::parse_policy(f, root, ::geteuid());
    if (!policy) return policy.error();
    c->policy = std::move(*policy);
    auto audit = f.table("audit");
    if (!audit) return audit.error();
    if (*audit != nullptr) {
        if (auto r = read_audit(f.child(**audit, "audit"), c->audit_file, c->audit); !r) return r.error();
    }
    auto limits = f.table("limits");
    if (!limits) return limits.error();
    if (*limits != nullptr) {
        if (auto r = read_limits(f.child(**limits, "limits"), c->limits); !r) return r.error();
    }
    auto store = f.table("store");
    if (!store) return store.error();
    if (*store != nullptr) {
        if (auto r = read_store(f.child(**store, "store"), c->store); !r) return r.error();
    }
    auto notify = f.table("notify");
    if (!notify) return notify.error();
    if (*notify != nullptr) {
        if (auto r = read_notify(f.child(**notify, "notify"), c->notify); !r) return r.error();
    }
    auto providers = f.table("providers");
    if (!providers) return providers.error();
    if (*providers != nullptr) {
        if (auto r = read_providers(f.child(**providers, "providers"), **providers, *c); !r) return r.error();
    }
    return c;
}

}  // namespace credctl::daemon
