// Parses a [providers.NAME] table into a ProviderConfig. Config loaders only.
#pragma once

#include "common/config/provider.hpp"
#include "common/config/toml_fields.hpp"

namespace credctl::config {

// The keys of a [providers.NAME] table, the only ones parse_provider accepts
// (credd --list-config-keys prints them for the credctl.toml(5) test).
[[nodiscard]] const std::vector<std::string_view>& provider_keys();

// `fields` reads the [providers.NAME] table. Errors name file, line and key.
[[nodiscard]] Result<ProviderConfig> parse_provider(const Fields& fields, const std::string& name);

}  // namespace credctl::config
