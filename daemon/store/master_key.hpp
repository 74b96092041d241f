// Loading (and, in per-user mode, creating) the 32-byte master key.
//
// The key file must be a regular file owned by the daemon's user and not
// readable by group or others; it is read straight into guarded memory.
// Thread-safety: call once at start.
#pragma once

#include "common/error/error.hpp"
#include "common/secret/secret_bytes.hpp"

#include <string>

namespace credctl::store {

enum class KeyCreation { forbid, allow };

// Errors name the path and the reason (missing, wrong owner or mode, wrong
// length); never the key.
[[nodiscard]] Result<SecretBytes> load_master_key(const std::string& path, KeyCreation creation);

}  // namespace credctl::store
