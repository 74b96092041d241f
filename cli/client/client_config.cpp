#include "cli/client/client_config.hpp"

#include "common/config/toml_fields.hpp"

namespace credctl::cli {

Result<ClientConfig> read_client_config(const std::string& path) {
    auto parsed = config::parse_toml_file(path);
    if (!parsed) return parsed.error();
    config::Fields f(*parsed, path.substr(path.find_last_of('/') + 1), "");
    if (auto r = f.only({"socket", "autostart"}); !r) return r.error();
    auto s = f.path("socket");
    if (!s) return s.error();
    auto a = f.boolean("autostart");
    if (!a) return a.error();
    return ClientConfig{s->value_or(""), a->value_or(false)};
}

}  // namespace credctl::cli
