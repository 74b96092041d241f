#include "daemon/tokens/token_cache.hpp"

#include <sodium.h>

namespace credctl::tokens {

TokenCache::TokenCache() : key_(SecretBytes::zeroed(crypto_secretbox_KEYBYTES)) {
    crypto_secretbox_keygen(key_.data());
}

void TokenCache::put(const std::string& key, const CachedToken& token) {
    Sealed s;
    s.nonce_and_box.resize(crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES + token.access_token.size());
    auto* out = reinterpret_cast<unsigned char*>(s.nonce_and_box.data());
    randombytes_buf(out, crypto_secretbox_NONCEBYTES);
    crypto_secretbox_easy(out + crypto_secretbox_NONCEBYTES, token.access_token.data(), token.access_token.size(), out,
                          key_.data());
    s.expires_at = token.expires_at;
    s.scope = token.scope;
    entries_[key] = std::move(s);
}

std::optional<CachedToken> TokenCache::get(const std::string& key, std::int64_t now,
                                           std::int64_t min_valid_seconds) const {
    auto it = entries_.find(key);
    if (it == entries_.end() || it->second.expires_at - now < min_valid_seconds) return std::nullopt;
    const auto& box = it->second.nonce_and_box;
    const auto* in = reinterpret_cast<const unsigned char*>(box.data());
    const std::size_t clen = box.size() - crypto_secretbox_NONCEBYTES;
    CachedToken t;
    t.access_token = SecretBytes::zeroed(clen - crypto_secretbox_MACBYTES);
    if (crypto_secretbox_open_easy(t.access_token.data(), in + crypto_secretbox_NONCEBYTES, clen, in, key_.data()) !=
        0) {
        return std::nullopt;
    }
    t.expires_at = it->second.expires_at;
    t.scope = it->second.scope;
    return t;
}

void TokenCache::erase(const std::string& key) {
    entries_.erase(key);
}

void TokenCache::erase_prefix(const std::string& prefix) {
    auto it = entries_.lower_bound(prefix);
    while (it != entries_.end() && it->first.compare(0, prefix.size(), prefix) == 0) it = entries_.erase(it);
}

}  // namespace credctl::tokens
