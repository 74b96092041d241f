// Sealer: authenticated encryption of store records (docs/store-format.md).
//
// A sealed value is  version(1) | key_id(4, big-endian) | nonce(24) |
// XChaCha20-Poly1305 ciphertext and tag. The associated data binds the value
// to the format version, the key id, the database and the record's key, so a
// record copied under another key, another name or another master key fails
// to open instead of decrypting into the wrong credential.
//
// Thread-safety: const methods may run concurrently.
#pragma once

#include "common/error/error.hpp"
#include "common/secret/secret_bytes.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace credctl::store {

inline constexpr std::uint8_t k_format_version = 1;
inline constexpr std::size_t k_master_key_bytes = 32;

class Sealer {
public:
    // `key` must be k_master_key_bytes long (aborts otherwise: a short key
    // would silently weaken every record). The key id is derived from the
    // key (used for the master key, which has no stored id).
    explicit Sealer(SecretBytes key);
    // A data key with the id the store assigned to it.
    Sealer(SecretBytes key, std::uint32_t key_id);

    // The key id in a sealed value's header, or std::nullopt when the value
    // is too short or of an unknown format version.
    [[nodiscard]] static std::optional<std::uint32_t> key_id_of(std::string_view sealed);

    [[nodiscard]] std::uint32_t key_id() const { return key_id_; }
    // The same key and id in guarded memory of its own (opening a backup
    // with the store's master key, admin restore).
    [[nodiscard]] Sealer clone() const { return Sealer(key_.clone(), key_id_); }
    // `record_key` names the record inside `database` (e.g. "alice\0github").
    [[nodiscard]] std::string seal(std::string_view database, std::string_view record_key,
                                   const SecretBytes& plaintext) const;
    // Errors: internal "does not open" for a wrong key, a moved record, a
    // flipped byte or a truncated value; never returns garbage.
    [[nodiscard]] Result<SecretBytes> open(std::string_view database, std::string_view record_key,
                                           std::string_view sealed) const;

private:
    SecretBytes key_;
    std::uint32_t key_id_ = 0;
};

}  // namespace credctl::store
