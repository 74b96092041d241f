// Parses a [providers.NAME] table into a ProviderConfig. Config loaders only.
#pragma once

#include "common/config/provider.hpp"
#include "common/config/toml_fields.hpp"

namespace credctl::config {

// `fields` reads the [providers.NAME] table. Errors name file, line and key.
[[nodiscard]] Result<ProviderConfig> parse_provider(const Fields& fields, const std::string& name);

}  // namespace credctl::config
