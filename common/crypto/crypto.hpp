// Small cryptographic helpers over libsodium, shared by both programs:
// random identifiers, base64url (RFC 4648 §5, no padding) and SHA-256.
//
// Thread-safety: all functions are safe to call concurrently after
// sodium_init(). None of them logs its input.
#pragma once

#include "common/error/error.hpp"
#include "common/secret/secret_string.hpp"

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace credctl::crypto {

// Initialises libsodium; returns an error if it cannot.
[[nodiscard]] Result<void> init();

// `bytes` random bytes, base64url encoded (a state, a nonce).
[[nodiscard]] std::string random_token(std::size_t bytes);
// The same, for a value that is a secret (a PKCE verifier).
[[nodiscard]] SecretString random_secret(std::size_t bytes);

[[nodiscard]] std::string base64url_encode(std::string_view data);
// std::nullopt when `text` is not unpadded base64url.
[[nodiscard]] std::optional<std::string> base64url_decode(std::string_view text);

// Raw 32-byte SHA-256 digest of `data`.
[[nodiscard]] std::string sha256(std::string_view data);
[[nodiscard]] std::string hex(std::string_view data);

}  // namespace credctl::crypto
