// The key of a credential record in the store's `credentials` database
// (docs/store-format.md "Databases"): the user name, one NUL byte, the
// provider name. User and provider names are wire::valid_name() names,
// which hold no NUL, so a key splits back into the names it was made of.
// With it, the other names a sealed value is bound to (its associated data,
// docs/store-format.md "Sealed values"): the same on LMDB and etcd, so that
// a value sealed by one backend opens on the other.
//
// Used by the LMDB and etcd stores and their maintenance. Thread-safety: pure functions.
#pragma once

#include "daemon/store/store.hpp"

#include <optional>
#include <string>
#include <string_view>

namespace credctl::store {

inline constexpr std::string_view k_credentials_db = "credentials";
inline constexpr std::string_view k_meta_db = "meta";
// Not a database: the associated-data name of a refresh token sealed inside
// its record, so that it opens only as what it is.
inline constexpr std::string_view k_refresh_token_seal = "refresh_token";
// The key-check record that makes a wrong master key a clear error.
inline constexpr std::string_view k_key_check = "key_check";
inline constexpr std::string_view k_key_check_plain = "credctl key check v1";

[[nodiscard]] std::string record_key(const CredentialKey& k);
// Splits "user NUL provider" at the first NUL; std::nullopt when there is
// none.
[[nodiscard]] std::optional<CredentialKey> split_record_key(std::string_view key);

}  // namespace credctl::store
