#include "daemon/config/config_diff.hpp"

#include "common/config/provider.hpp"
#include "daemon/config/daemon_config.hpp"

#include <algorithm>
#include <set>

namespace credctl::daemon {
namespace {

const ProviderConfig* find(const std::vector<ProviderConfig>& providers, const std::string& name) {
    const auto it = std::find_if(providers.begin(), providers.end(), [&](const auto& p) { return p.name == name; });
    return it == providers.end() ? nullptr : &*it;
}

void diff_provider(const ProviderConfig& a, const ProviderConfig& b, std::vector<ConfigChange>& out) {
    static const std::string k_prefix = "providers.NAME.";
    for (const auto& row : config_keys()) {
        if (row.provider_value == nullptr) continue;
        const std::string before = row.provider_value(a);
        const std::string after = row.provider_value(b);
        if (before == after) continue;
        out.push_back({"providers." + a.name + "." + row.key.substr(k_prefix.size()), before, after, row.reload});
    }
}

void diff_providers(const DaemonConfig& a, const DaemonConfig& b, std::vector<ConfigChange>& out) {
    std::set<std::string> names;
    for (const auto& p : a.providers) names.insert(p.name);
    for (const auto& p : b.providers) names.insert(p.name);
    for (const auto& name : names) {
        const auto* before = find(a.providers, name);
        const auto* after = find(b.providers, name);
        if (before != nullptr && after != nullptr) {
            diff_provider(*before, *after, out);
        } else {
            out.push_back({"providers." + name, before != nullptr ? "(configured)" : "(none)",
                           after != nullptr ? "(configured)" : "(none)", Reload::needs_restart});
        }
    }
}

}  // namespace

std::vector<ConfigChange> diff_config(const DaemonConfig& before, const DaemonConfig& after) {
    std::vector<ConfigChange> out;
    for (const auto& row : config_keys()) {
        if (row.value == nullptr) continue;
        std::string a = row.value(before);
        std::string b = row.value(after);
        if (a != b) out.push_back({row.key, std::move(a), std::move(b), row.reload});
    }
    diff_providers(before, after, out);
    return out;
}

Result<std::vector<ConfigChange>> reloadable_changes(const DaemonConfig& before, const DaemonConfig& after) {
    auto changes = diff_config(before, after);
    std::string restart;
    for (const auto& c : changes) {
        if (c.reload == Reload::needs_restart) restart += (restart.empty() ? "" : "; ") + describe(c);
    }
    if (!restart.empty()) return make_error(Errc::usage, "needs a restart: " + restart);
    return changes;
}

std::string describe(const ConfigChange& change) {
    return change.key + " " + change.before + " \u2192 " + change.after;
}

}  // namespace credctl::daemon
