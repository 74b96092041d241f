// Plaintext layout of a CredentialRecord before sealing (docs/store-format.md):
// a fixed sequence of fields, strings as u32 little-endian length + bytes,
// integers as 8 bytes little-endian. Encoded straight into guarded memory so
// the refresh token never passes through an ordinary heap buffer.
//
// Thread-safety: pure functions.
#pragma once

#include "daemon/store/store.hpp"

namespace credctl::store {

[[nodiscard]] SecretBytes encode_record(const CredentialRecord& record);
// Errors: internal when the bytes are truncated or have trailing garbage.
[[nodiscard]] Result<CredentialRecord> decode_record(const SecretBytes& plaintext);

}  // namespace credctl::store
