// TokenCache: access tokens kept between requests, sealed under an ephemeral
// key that exists only in this process (docs/design.md "Secrets"). A token is
// in the clear only inside the SecretBytes that get() returns, for the moment
// it is served.
//
// Thread-safety: one thread (the daemon's I/O thread).
#pragma once

#include "common/secret/secret_bytes.hpp"

#include <cstdint>
#include <map>
#include <optional>
#include <string>

namespace credctl::tokens {

struct CachedToken {
    SecretBytes access_token;
    std::int64_t expires_at = 0;  // UTC epoch seconds
    std::string scope;
};

class TokenCache {
public:
    TokenCache();
    void put(const std::string& key, const CachedToken& token);
    // The token when it is valid for at least `min_valid_seconds` at `now`.
    [[nodiscard]] std::optional<CachedToken> get(const std::string& key, std::int64_t now,
                                                 std::int64_t min_valid_seconds) const;
    void erase(const std::string& key);
    // Every entry whose key starts with `prefix` (all scopes of a credential).
    void erase_prefix(const std::string& prefix);

private:
    struct Sealed {
        std::string nonce_and_box;
        std::int64_t expires_at = 0;
        std::string scope;
    };
    SecretBytes key_;
    std::map<std::string, Sealed> entries_;
};

}  // namespace credctl::tokens
