#include "daemon/config/config_keys.hpp"

#include "common/config/provider_toml.hpp"

#include <algorithm>

namespace credctl::daemon {
namespace {

std::vector<ConfigKey> build() {
    std::vector<ConfigKey> keys{
        {"socket"},
        {"socket_mode"},
        {"state_dir"},
        {"key_file"},
        {"owner_access"},
        {"limits.max_head_bytes"},
        {"limits.max_body_bytes"},
        {"limits.idle_timeout_seconds"},
        {"limits.max_connections"},
        {"limits.max_connections_per_uid"},
        {"limits.provider_timeout_seconds"},
        {"store.max_map_bytes"},
        {"store.generate_key"},
        {"audit.file"},
        {"audit.max_file_bytes"},
        {"audit.keep_files"},
        {"audit.denial_burst"},
        {"audit.denials_per_second"},
        {"roles.NAME.permissions"},
        {"grants.name"},
        {"grants.roles"},
        {"grants.resources"},
        {"grants.clients"},
        {"grants.clients.uid"},
        {"grants.clients.user"},
        {"grants.clients.gid"},
        {"grants.clients.group"},
        {"grants.clients.exe"},
        {"grants.clients.exe_sha256"},
        {"grants.clients.systemd_unit"},
    };
    for (const auto k : config::provider_keys()) keys.push_back({"providers.NAME." + std::string(k)});
    return keys;
}

}  // namespace

const std::vector<ConfigKey>& config_keys() {
    static const std::vector<ConfigKey> keys = build();
    return keys;
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

}  // namespace credctl::daemon
