// Plaintext layout of a CredentialRecord before sealing (docs/store-format.md):
// a fixed sequence of fields, strings as u32 little-endian length + bytes,
// integers as 8 bytes little-endian; a record without the last field
// (refreshed at, added later) still decodes. The first field is the refresh token
// sealed on its own (LmdbStore seals and opens it), so opening a record
// never decrypts the refresh token. Encoded straight into guarded memory so
// the access token never passes through an ordinary heap buffer.
//
// Thread-safety: pure functions.
#pragma once

#include "daemon/store/store.hpp"

#include <string>
#include <string_view>

namespace credctl::store {

struct DecodedRecord {
    CredentialRecord record;
    std::string sealed_refresh_token;
};

[[nodiscard]] SecretBytes encode_record(const CredentialRecord& record, std::string_view sealed_refresh_token);
// Errors: internal when the bytes are truncated or have trailing garbage.
[[nodiscard]] Result<DecodedRecord> decode_record(const SecretBytes& plaintext);

}  // namespace credctl::store
