#include "daemon/config/config_report.hpp"

#include "common/config/toml_fields.hpp"
#include "daemon/config/config_keys.hpp"
#include "daemon/config/daemon_config.hpp"

#include <cstdlib>

namespace credctl::daemon {
namespace {

// Per-user defaults that come from the environment (local_user.cpp).
std::string env_source(const std::string& key, Mode mode) {
    if (mode != Mode::user) return "default";
    const char* var = key == "socket" ? "XDG_RUNTIME_DIR" : key == "state_dir" ? "XDG_STATE_HOME" : nullptr;
    if (var == nullptr) return "default";
    const char* v = std::getenv(var);
    return v != nullptr && v[0] == '/' ? std::string("environment ") + var : "default";
}

class Sources {
public:
    Sources(const toml::table* root, std::string file) : root_(root), file_(std::move(file)) {}

    // `path` as in the file ("limits.max_body_bytes"); arrays of tables
    // (grants) and user-named tables (roles) are located by their first part.
    [[nodiscard]] std::string of(const std::string& key, const std::string& path, Mode mode) const {
        if (root_ != nullptr) {
            const bool whole = path.rfind("grants.", 0) == 0 || path.rfind("roles.", 0) == 0;
            const auto node = root_->at_path(whole ? path.substr(0, path.find('.')) : path);
            if (node) return file_ + ":" + std::to_string(node.node()->source().begin.line);
        }
        return env_source(key, mode);
    }

private:
    const toml::table* root_;
    std::string file_;
};

}  // namespace

Result<std::vector<ReportLine>> report_config(const DaemonConfig& config, Mode mode, const std::string& file) {
    std::optional<toml::table> root;
    if (!file.empty()) {
        auto parsed = config::parse_toml_file(file);
        if (!parsed) return parsed.error();
        root = std::move(*parsed);
    }
    const Sources sources(root ? &*root : nullptr, file.substr(file.find_last_of('/') + 1));
    std::vector<ReportLine> out;
    for (const auto& row : config_keys()) {
        if (row.value == nullptr) continue;
        out.push_back({row.key, row.value(config), sources.of(row.key, row.key, mode)});
    }
    static const std::string k_prefix = "providers.NAME.";
    for (const auto& p : config.providers) {
        for (const auto& row : config_keys()) {
            if (row.provider_value == nullptr) continue;
            const std::string key = "providers." + p.name + "." + row.key.substr(k_prefix.size());
            out.push_back({key, row.provider_value(p), sources.of(row.key, key, mode)});
        }
    }
    return out;
}

std::string format_report(const std::vector<ReportLine>& lines) {
    std::string out;
    for (const auto& l : lines) out += l.key + " = " + l.value + "  # " + l.source + "\n";
    return out;
}

}  // namespace credctl::daemon
