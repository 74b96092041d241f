// Every key credd's config accepts, as rows of one table (credctl.toml(5)):
// name, type, bounds, default, whether a reload applies it, one line of doc,
// and how to read its effective value from a DaemonConfig. The loaders take
// their "unknown key" lists and integer bounds from it, the reload diff
// (config_diff.hpp) and `credd --check-config` (config_report.hpp) walk it,
// `credd --list-config-keys` prints it, and
// tests/integration/man_config_keys_test.sh checks the man page against it.
//
// Keys are dotted paths; a table named by the user is written NAME
// ("providers.NAME.issuer"). Thread-safety: immutable data.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace credctl {
struct ProviderConfig;
}

namespace credctl::daemon {

struct DaemonConfig;

enum class KeyType { string, path, integer, boolean, mode, strings, choice, table, number };

// What SIGHUP does with a changed value (credd(8) "SIGNALS").
enum class Reload { applied, needs_restart };

struct ConfigKey {
    std::string key;  // "limits.max_body_bytes"
    KeyType type = KeyType::string;
    std::int64_t min = 0, max = 0;  // integers and numbers: accepted range, inclusive
    std::string fallback;           // the default, as credctl.toml(5) states it
    Reload reload = Reload::needs_restart;
    std::string doc;  // one line
    // The effective value as TOML ("20", "\"/run/x\""); null where the key
    // is part of a table that is shown whole (grants.clients.*).
    std::string (*value)(const DaemonConfig&) = nullptr;
    // Rows "providers.NAME.*" only: the value for one provider.
    std::string (*provider_value)(const ProviderConfig&) = nullptr;
};

[[nodiscard]] const std::vector<ConfigKey>& config_keys();

// The row of `key` ("limits.max_body_bytes"); aborts for a key not in the
// table, which is a programming error.
[[nodiscard]] const ConfigKey& config_key(std::string_view key);

// The names directly below `table` ("" for the root, "limits"), which is
// what Fields::only() wants: {"max_head_bytes", ...}; sub-tables included.
[[nodiscard]] std::vector<std::string_view> keys_below(std::string_view table);

[[nodiscard]] const char* to_string(KeyType type);
[[nodiscard]] const char* to_string(Reload reload);

// TOML spellings used by the value readers: "\"x\"", "[\"a\", \"b\"]".
[[nodiscard]] std::string toml_string(const std::string& s);
[[nodiscard]] std::string toml_strings(const std::vector<std::string>& v);

}  // namespace credctl::daemon
