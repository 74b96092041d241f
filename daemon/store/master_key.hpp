// Finding, loading and (in per-user mode) creating the 32-byte master key
// (docs/store-format.md "Master key"). Sources, first found wins:
//   1. $CREDENTIALS_DIRECTORY/credd.key, the systemd credential
//      (LoadCredential=, LoadCredentialEncrypted=, so TPM2 sealing works);
//   2. `key_file` from the config;
//   3. in per-user mode only, <state_dir>/master.key, generated on the first
//      start when the store does not exist yet.
// A key file must be a regular file (no symlink) owned by the daemon's user
// (systemd credentials: or root) with mode 0400 or 0600; it is read straight
// into guarded memory. The master key only opens the store's data keys
// (LmdbStore), so it never has to be rewritten.
//
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

struct KeySources {
    std::string credentials_directory;  // $CREDENTIALS_DIRECTORY; empty when unset
    std::string key_file;               // `key_file` of the config; empty when unset
    std::string state_dir;              // the store's directory
    bool generate = false;              // per-user mode: may create <state_dir>/master.key
};

struct MasterKey {
    SecretBytes key;
    std::string source;  // where it came from, for the log (a path, never the key)
};

// Errors: the first source that exists but is unusable stops the search
// (a bad systemd credential never silently falls back to another key); a
// missing generated key next to an existing store is an error, never a new key.
[[nodiscard]] Result<MasterKey> find_master_key(const KeySources& sources);

}  // namespace credctl::store
