// Every key credd's config accepts, in one table (credctl.toml(5)): the
// loaders take their "unknown key" lists from it, `credd --list-config-keys`
// prints it, and tests/integration/man_config_keys_test.sh checks that the
// man page documents exactly these keys.
//
// Keys are dotted paths; a table named by the user is written NAME
// ("providers.NAME.issuer"). Thread-safety: immutable data.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace credctl::daemon {

struct ConfigKey {
    std::string key;  // "limits.max_body_bytes"
};

[[nodiscard]] const std::vector<ConfigKey>& config_keys();

// The names directly below `table` ("" for the root, "limits"), which is
// what Fields::only() wants: {"max_head_bytes", ...}; sub-tables included.
[[nodiscard]] std::vector<std::string_view> keys_below(std::string_view table);

}  // namespace credctl::daemon
