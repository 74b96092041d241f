#include "daemon/config/config_keys.hpp"

#include "common/config/provider.hpp"
#include "common/config/provider_toml.hpp"
#include "daemon/config/daemon_config.hpp"
#include "daemon/notify/settings.hpp"

#include <algorithm>
#include <cstdio>
#include <cstdlib>

namespace credctl::daemon {
namespace {

using K = KeyType;
using R = Reload;
using C = const DaemonConfig&;
using P = const ProviderConfig&;

std::string num(std::uint64_t n) {
    return std::to_string(n);
}
// Seconds as a TOML number of days: "7", "0.5", "0.0002".
std::string days(std::chrono::seconds s) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.6g", static_cast<double>(s.count()) / 86400.0);
    return buf;
}
std::string boolean(bool b) {
    return b ? "true" : "false";
}
std::string mode(unsigned m) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "0o%03o", m);
    return buf;
}

// One value per grant, in file order: ["ci: reader", "ops: admin, reader"].
template <typename F>
std::string per_grant(C c, F part) {
    std::vector<std::string> out;
    for (const auto& g : c.policy.grants) out.push_back(g.name + ": " + part(g));
    return toml_strings(out);
}
std::string joined(const std::vector<std::string>& v) {
    std::string out;
    for (const auto& s : v) out += (out.empty() ? "" : ", ") + s;
    return out;
}

std::string seconds(std::chrono::seconds s) {
    return num(static_cast<std::uint64_t>(s.count()));
}

// [store] and [store.etcd] (docs/fleet.md).
std::vector<ConfigKey> store_rows() {
    return {
        // 1 MiB: a few hundred pages; 1 TiB: far beyond any credential count.
        {"store.max_map_bytes", K::integer, std::int64_t{1} << 20, std::int64_t{1} << 40, "4294967296",
         R::needs_restart, "cap of the LMDB map", [](C c) { return num(c.store.max_map_bytes); }},
        {"store.generate_key", K::boolean, 0, 0, "true", R::needs_restart,
         "per-user mode: create the master key on first start", [](C c) { return boolean(c.store.generate_key); }},
        {"store.backend", K::choice, 0, 0, "lmdb", R::needs_restart, "lmdb (this host) or etcd (a fleet)",
         [](C c) { return toml_string(c.store.backend == StoreBackend::etcd ? "etcd" : "lmdb"); }},
        {"store.etcd.endpoints", K::strings, 0, 0, "[]", R::needs_restart, "etcd members, tried in turn",
         [](C c) { return toml_strings(c.store.etcd.endpoints); }},
        {"store.etcd.prefix", K::string, 0, 0, "\"/credd/\"", R::needs_restart, "every key credd writes is below it",
         [](C c) { return toml_string(c.store.etcd.prefix); }},
        // 2 s: a keepalive every third of it; 1 h: a dead holder blocks refreshes that long.
        {"store.etcd.lease_seconds", K::integer, 2, 3600, "10", R::needs_restart, "lease of the refresh lock",
         [](C c) { return num(static_cast<std::uint64_t>(c.store.etcd.lease_seconds)); }},
        {"store.etcd.request_timeout_seconds", K::integer, 1, 60, "5", R::needs_restart,
         "one etcd call, every endpoint included", [](C c) { return seconds(c.store.etcd.request_timeout); }},
        {"store.etcd.ca_file", K::path, 0, 0, "the system trust store", R::needs_restart, "CA bundle for the members",
         [](C c) { return toml_string(c.store.etcd.ca_file); }},
        {"store.etcd.cert_file", K::path, 0, 0, "none", R::needs_restart, "client certificate (mTLS)",
         [](C c) { return toml_string(c.store.etcd.cert_file); }},
        {"store.etcd.key_file", K::path, 0, 0, "none", R::needs_restart, "client certificate's key",
         [](C c) { return toml_string(c.store.etcd.key_file); }},
    };
}

// Limits: bounds are the reason the value exists at all (docs/api.md "Limits").
std::vector<ConfigKey> daemon_rows() {
    return {
        {"socket", K::path, 0, 0, "$XDG_RUNTIME_DIR/credd/credd.sock; system: /run/credd/credd.sock", R::needs_restart,
         "Unix socket credd listens on", [](C c) { return toml_string(c.socket); }},
        {"socket_mode", K::mode, 0, 0777, "0o600; system: 0o666", R::needs_restart,
         "socket file mode: 0o600 (owner only) or 0o666", [](C c) { return mode(c.socket_mode); }},
        {"state_dir", K::path, 0, 0, "$XDG_STATE_HOME/credd; system: /var/lib/credd", R::needs_restart,
         "directory of the store and the generated key", [](C c) { return toml_string(c.state_dir); }},
        {"key_file", K::path, 0, 0, "<state_dir>/master.key", R::needs_restart, "master key file (a path)",
         [](C c) { return toml_string(c.key_file); }},
        {"owner_access", K::boolean, 0, 0, "true", R::applied, "the daemon's own uid reaches its own credentials",
         [](C c) { return boolean(c.policy.owner_access); }},
        {"limits.max_head_bytes", K::integer, 1024, 1 << 20, "8192", R::needs_restart,
         "largest request line and headers", [](C c) { return num(c.limits.max_head_bytes); }},
        {"limits.max_body_bytes", K::integer, 1024, 16 << 20, "65536", R::needs_restart, "largest request body",
         [](C c) { return num(c.limits.max_body_bytes); }},
        {"limits.idle_timeout_seconds", K::integer, 1, 3600, "10", R::needs_restart,
         "a silent connection is closed after this", [](C c) { return num(c.limits.idle_timeout.count()); }},
        {"limits.max_connections", K::integer, 1, 1 << 20, "1024", R::needs_restart, "connections served at once",
         [](C c) { return num(c.limits.max_connections); }},
        {"limits.max_connections_per_uid", K::integer, 1, 1 << 20, "64", R::needs_restart,
         "connections of one uid served at once", [](C c) { return num(c.limits.max_connections_per_uid); }},
        {"limits.provider_timeout_seconds", K::integer, 1, 600, "15", R::needs_restart,
         "whole exchange with a provider", [](C c) { return num(c.limits.provider_timeout.count()); }},
        {"limits.refresh_burst", K::integer, 1, 1000, "10", R::needs_restart,
         "refreshes of a credential one caller may have at once", [](C c) { return num(c.limits.refresh_pace.burst); }},
        {"limits.refresh_interval_seconds", K::integer, 0, 86400, "30", R::needs_restart,
         "then one per this many seconds; 0: unpaced", [](C c) { return num(c.limits.refresh_pace.interval.count()); }},
        {"audit.file", K::path, 0, 0, "none (stderr only)", R::applied, "audit log file",
         [](C c) { return toml_string(c.audit_file); }},
        {"audit.max_file_bytes", K::integer, 0, std::int64_t{1} << 40, "67108864", R::applied,
         "rotate the audit file past this size; 0: never", [](C c) { return num(c.audit.max_file_bytes); }},
        {"audit.keep_files", K::integer, 1, 1000, "4", R::applied, "rotated audit files kept",
         [](C c) { return num(c.audit.keep_files); }},
        {"audit.denial_burst", K::integer, 1, 1000000, "20", R::applied, "denial lines written at once",
         [](C c) { return num(c.audit.denials.burst); }},
        {"audit.denials_per_second", K::integer, 1, 1000000, "2", R::applied, "denial lines per second after that",
         [](C c) { return num(c.audit.denials.per_second); }},
        {"audit.allow_burst", K::integer, 0, 1000000, "2000", R::applied,
         "allow lines of one uid written at once; 0: never limited", [](C c) { return num(c.audit.allows.burst); }},
        {"audit.allows_per_second", K::integer, 1, 1000000, "20", R::applied, "allow lines per second after that",
         [](C c) { return num(c.audit.allows.per_second); }},
        {"roles.NAME.permissions", K::strings, 0, 0, "", R::applied, "permissions a role grants"},
        {"grants.name", K::string, 0, 0, "", R::applied, "name of a grant, for the audit log",
         [](C c) { return per_grant(c, [](const policy::Grant& g) { return g.name; }); }},
        {"grants.roles", K::strings, 0, 0, "", R::applied, "roles a grant gives",
         [](C c) { return per_grant(c, [](const policy::Grant& g) { return joined(g.roles); }); }},
        {"grants.resources", K::strings, 0, 0, "", R::applied, "USER/PROVIDER patterns a grant covers",
         [](C c) { return per_grant(c, [](const policy::Grant& g) { return joined(g.resources); }); }},
        {"grants.clients", K::table, 0, 0, "", R::applied, "the processes a grant is for",
         [](C c) { return per_grant(c, [](const policy::Grant& g) { return num(g.clients.size()) + " client(s)"; }); }},
        {"grants.clients.uid", K::integer, 0, 0, "", R::applied, "client's uid"},
        {"grants.clients.user", K::string, 0, 0, "", R::applied, "client's user name"},
        {"grants.clients.gid", K::integer, 0, 0, "", R::applied, "client's group id"},
        {"grants.clients.group", K::string, 0, 0, "", R::applied, "client's group name"},
        {"grants.clients.exe", K::path, 0, 0, "", R::applied, "client's executable"},
        {"grants.clients.exe_sha256", K::string, 0, 0, "", R::applied, "SHA-256 of the client's executable"},
        {"grants.clients.systemd_unit", K::string, 0, 0, "", R::applied, "client's systemd unit"},
    };
}

// [notify] (docs/operations.md "When a login is needed").
std::vector<ConfigKey> notify_rows() {
    return {
        {"notify.command", K::strings, 0, 0, "[] (log only)", R::needs_restart,
         "program and arguments run when a credential needs a login",
         [](C c) { return toml_strings(c.notify.command); }},
        {"notify.timeout_seconds", K::integer, notify::k_min_timeout_seconds, notify::k_max_timeout_seconds, "10",
         R::needs_restart, "the command is killed after this", [](C c) { return seconds(c.notify.timeout); }},
        {"notify.unavailable_after_seconds", K::integer, notify::k_min_unavailable_after_seconds,
         notify::k_max_unavailable_after_seconds, "3600", R::needs_restart,
         "a provider failing a credential's refreshes this long is notified",
         [](C c) { return seconds(c.notify.unavailable_after); }},
    };
}

std::vector<ConfigKey> provider_rows() {
    const auto url = [](std::string key, std::string doc, std::string (*get)(P)) {
        return ConfigKey{"providers.NAME." + key, K::string, 0, 0, "", R::needs_restart, doc, nullptr, get};
    };
    const std::string p = "providers.NAME.";
    return {
        url("issuer", "OpenID issuer, for discovery", [](P v) { return toml_string(v.issuer); }),
        url("authorization_endpoint", "overrides discovery", [](P v) { return toml_string(v.authorization_endpoint); }),
        url("token_endpoint", "overrides discovery", [](P v) { return toml_string(v.token_endpoint); }),
        url("revocation_endpoint", "overrides discovery", [](P v) { return toml_string(v.revocation_endpoint); }),
        url("device_authorization_endpoint", "RFC 8628 endpoint",
            [](P v) { return toml_string(v.device_authorization_endpoint); }),
        url("client_id", "OAuth client id", [](P v) { return toml_string(v.client_id); }),
        {p + "client_auth", K::choice, 0, 0, "none; client_secret_basic with a secret file", R::needs_restart,
         "none, client_secret_basic or client_secret_post", nullptr,
         [](P v) { return toml_string(to_string(v.client_auth)); }},
        {p + "client_secret_file", K::path, 0, 0, "", R::needs_restart, "file holding the client secret (a path)",
         nullptr, [](P v) { return toml_string(v.client_secret_file); }},
        {p + "scopes", K::strings, 0, 0, "[]", R::needs_restart, "scopes asked for", nullptr,
         [](P v) { return toml_strings(v.scopes); }},
        {p + "redirect_port", K::integer, 0, 65535, "0 (ephemeral)", R::needs_restart, "loopback redirect port",
         nullptr, [](P v) { return num(v.redirect_port); }},
        {p + "ca_file", K::path, 0, 0, "the system trust store", R::needs_restart, "CA bundle for this provider",
         nullptr, [](P v) { return toml_string(v.ca_file); }},
        url("resource", "RFC 8707 resource indicator", [](P v) { return toml_string(v.resource); }),
        {p + "default", K::boolean, 0, 0, "false", R::needs_restart, "chosen when a command names no provider", nullptr,
         [](P v) { return boolean(v.is_default); }},
        {p + "connect_timeout_seconds", K::integer, 1, 300, "5", R::needs_restart, "TCP connect to the provider",
         nullptr, [](P v) { return seconds(v.connect_timeout); }},
        {p + "timeout_seconds", K::integer, 1, 600, "limits.provider_timeout_seconds", R::needs_restart,
         "one exchange with the provider", nullptr, [](P v) { return seconds(v.timeout); }},
        {p + "retry_deadline_seconds", K::integer, 1, 3600, "30", R::needs_restart, "all attempts of one refresh",
         nullptr, [](P v) { return seconds(v.retry_deadline); }},
        {p + "keep_alive_days", K::number, 0, k_max_keep_alive_days, "0 (off)", R::needs_restart,
         "refresh a credential not refreshed for this many days (fractions allowed)", nullptr,
         [](P v) { return days(v.keep_alive); }},
    };
}

std::vector<ConfigKey> build() {
    auto keys = daemon_rows();
    const auto store = store_rows();
    keys.insert(keys.begin() + 11, store.begin(), store.end());  // after [limits], as in credctl.toml(5)
    const auto notify = notify_rows();
    keys.insert(keys.end(), notify.begin(), notify.end());
    const auto providers = provider_rows();
    // The provider parser lives in common/ (its key list too): each of its
    // keys must have exactly one row here, and no row may be left over.
    if (providers.size() != config::provider_keys().size()) std::abort();
    for (const auto k : config::provider_keys()) {
        const auto it = std::find_if(providers.begin(), providers.end(),
                                     [&](const ConfigKey& r) { return r.key == "providers.NAME." + std::string(k); });
        if (it == providers.end()) std::abort();
        keys.push_back(*it);
    }
    return keys;
}

}  // namespace

const std::vector<ConfigKey>& config_keys() {
    static const std::vector<ConfigKey> keys = build();
    return keys;
}

const ConfigKey& config_key(std::string_view key) {
    for (const auto& k : config_keys()) {
        if (k.key == key) return k;
    }
    std::abort();
}

std::vector<std::string_view> keys_below(std::string_view table) {
    std::vector<std::string_view> out;
    for (const auto& k : config_keys()) {
        std::string_view rest = k.key;
        if (!table.empty()) {
            if (rest.size() <= table.size() || rest.substr(0, table.size()) != table || rest[table.size()] != '.') {
                continue;
            }
            rest.remove_prefix(table.size() + 1);
        }
        rest = rest.substr(0, rest.find('.'));
        if (std::find(out.begin(), out.end(), rest) == out.end()) out.push_back(rest);
    }
    return out;
}

const char* to_string(KeyType type) {
    static constexpr const char* k_names[] = {"string", "path",   "integer", "boolean", "mode",
                                              "list",   "choice", "table",   "number"};
    return k_names[static_cast<int>(type)];
}

const char* to_string(Reload reload) {
    return reload == Reload::applied ? "reload applies" : "needs restart";
}

std::string toml_string(const std::string& s) {
    std::string out = "\"";
    for (const char ch : s) {
        if (ch == '"' || ch == '\\') out += '\\';
        out += ch;
    }
    return out + "\"";
}

std::string toml_strings(const std::vector<std::string>& v) {
    std::string out = "[";
    for (const auto& s : v) out += (out.size() > 1 ? ", " : "") + toml_string(s);
    return out + "]";
}

}  // namespace credctl::daemon
