// The key of a credential record in the store's `credentials` database
// (docs/store-format.md "Databases"): the user name, one NUL byte, the
// provider name. User and provider names are wire::valid_name() names,
// which hold no NUL, so a key splits back into the names it was made of.
//
// Used by the LMDB and etcd stores and LMDB maintenance. Thread-safety: pure functions.
#pragma once

#include "daemon/store/store.hpp"

#include <optional>
#include <string>
#include <string_view>

namespace credctl::store {

[[nodiscard]] std::string record_key(const CredentialKey& k);
// Splits "user NUL provider" at the first NUL; std::nullopt when there is
// none.
[[nodiscard]] std::optional<CredentialKey> split_record_key(std::string_view key);

}  // namespace credctl::store
