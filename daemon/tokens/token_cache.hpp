// TokenCache: access tokens kept between requests, sealed under an ephemeral
// key that exists only in this process (docs/design.md "Secrets"). A token is
// in the clear only inside the SecretBytes that get() returns, for the moment
// it is served.
//
// The cipher is AES-256-GCM where the CPU has AES-NI and CLMUL: opening a
// token of 160 bytes then takes ~0.17 µs against ~0.9 µs with
// XSalsa20-Poly1305 (crypto_secretbox), the cipher kept for other CPUs, and
// every cached answer opens one (docs/benchmarks.md, "Throughput"). Its nonces
// are a counter: the key is made for this cache and never leaves it, so no
// nonce is used twice under it.
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
    std::string subject{};  // the grant's subject at the provider, as the record named it
};

enum class CacheCipher { aes256gcm, xsalsa20poly1305 };

class TokenCache {
public:
    // The faster cipher this CPU offers.
    TokenCache();
    // `wanted`, or XSalsa20-Poly1305 when AES-256-GCM is wanted and the CPU
    // cannot run it (libsodium's AES-GCM needs AES-NI and CLMUL).
    explicit TokenCache(CacheCipher wanted);
    [[nodiscard]] CacheCipher cipher() const { return cipher_; }
    void put(const std::string& key, const CachedToken& token);
    // The token when it is valid for at least `min_valid_seconds` at `now`.
    [[nodiscard]] std::optional<CachedToken> get(const std::string& key, std::int64_t now,
                                                 std::int64_t min_valid_seconds) const;
    void erase(const std::string& key);
    // Every entry whose key starts with `prefix` (all scopes of a credential),
    // retired ones too.
    void erase_prefix(const std::string& prefix);
    // Sets the entries under `prefix` aside, with those set aside before
    // (expired ones forgotten, at most k_max_per_prefix kept): get() no
    // longer finds them, get_retired() does, until put() replaces one. For a
    // credential another process changed (a refresh on another host, which
    // leaves earlier tokens valid, or a login or logout there): such a token
    // is served only where nothing better may be had (a caller over its
    // pace of refreshes), and after a look at the record.
    void retire_prefix(const std::string& prefix, std::int64_t now);
    [[nodiscard]] std::optional<CachedToken> get_retired(const std::string& key, std::int64_t now,
                                                         std::int64_t min_valid_seconds) const;
    // The entries under `prefix` set aside (a credential found gone or rejected).
    void erase_retired(const std::string& prefix);
    // Before `key` is put under `prefix` (a credential): forgets the
    // entries under `prefix` whose token expired before `now` (scope sets no
    // longer asked for), then the ones that expire first until `key` and
    // the rest come to k_max_per_prefix, never `prefix` itself (the
    // full-scope token). The scope sets a caller asks for are its own to
    // choose: 64 of up to 8 KiB each per credential.
    void make_room(const std::string& prefix, const std::string& key, std::int64_t now);
    static constexpr std::size_t k_max_per_prefix = 64;

    // An entry as kept: the token sealed (named here for the helpers of
    // token_cache.cpp; nothing outside uses it).
    struct Sealed {
        std::string nonce_and_box;
        std::int64_t expires_at = 0;
        std::string scope;
        std::string subject;
    };

private:
    [[nodiscard]] std::optional<CachedToken> found(const std::map<std::string, Sealed>& in, const std::string& key,
                                                   std::int64_t now, std::int64_t min_valid_seconds) const;
    [[nodiscard]] std::string seal(const SecretBytes& plain);
    [[nodiscard]] std::optional<SecretBytes> open(const std::string& sealed) const;

    CacheCipher cipher_;
    // crypto_secretbox's key, or the AES-256-GCM state expanded from a key
    // made for this cache and then wiped.
    SecretBytes key_;
    std::uint64_t sealed_ = 0;  // AES-GCM: the count of seals, the next nonce
    std::map<std::string, Sealed> entries_;
    std::map<std::string, Sealed> retired_;  // retire_prefix(): at most k_max_per_prefix and the full scope each
};

}  // namespace credctl::tokens
