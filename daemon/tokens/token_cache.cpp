#include "daemon/tokens/token_cache.hpp"

#include <sodium.h>

#include <cstring>

namespace credctl::tokens {
namespace {

constexpr std::size_t k_gcm_nonce = crypto_aead_aes256gcm_NPUBBYTES;
constexpr std::size_t k_gcm_tag = crypto_aead_aes256gcm_ABYTES;
constexpr std::size_t k_box_nonce = crypto_secretbox_NONCEBYTES;
constexpr std::size_t k_box_tag = crypto_secretbox_MACBYTES;

CacheCipher usable(CacheCipher wanted) {
    if (wanted == CacheCipher::aes256gcm && crypto_aead_aes256gcm_is_available() == 0)
        return CacheCipher::xsalsa20poly1305;
    return wanted;
}

// The key of a cache using `cipher`, in guarded memory: for AES-256-GCM the
// state expanded from a fresh key (sodium_malloc aligns its 512 bytes, a
// multiple of 16, as libsodium requires), for crypto_secretbox the key.
SecretBytes make_key(CacheCipher cipher) {
    if (cipher == CacheCipher::xsalsa20poly1305) {
        auto key = SecretBytes::zeroed(crypto_secretbox_KEYBYTES);
        crypto_secretbox_keygen(key.data());
        return key;
    }
    auto key = SecretBytes::zeroed(crypto_aead_aes256gcm_KEYBYTES);
    crypto_aead_aes256gcm_keygen(key.data());
    auto state = SecretBytes::zeroed(sizeof(crypto_aead_aes256gcm_state));
    crypto_aead_aes256gcm_beforenm(reinterpret_cast<crypto_aead_aes256gcm_state*>(state.data()), key.data());
    return state;
}

}  // namespace

TokenCache::TokenCache() : TokenCache(CacheCipher::aes256gcm) {}

TokenCache::TokenCache(CacheCipher wanted) : cipher_(usable(wanted)), key_(make_key(cipher_)) {}

// nonce, then the sealed bytes and their tag
std::string TokenCache::seal(const SecretBytes& plain) {
    std::string out;
    if (cipher_ == CacheCipher::xsalsa20poly1305) {
        out.resize(k_box_nonce + k_box_tag + plain.size());
        auto* p = reinterpret_cast<unsigned char*>(out.data());
        randombytes_buf(p, k_box_nonce);
        crypto_secretbox_easy(p + k_box_nonce, plain.data(), plain.size(), p, key_.data());
        return out;
    }
    out.resize(k_gcm_nonce + plain.size() + k_gcm_tag);
    auto* p = reinterpret_cast<unsigned char*>(out.data());
    const std::uint64_t n = sealed_++;
    std::memcpy(p, &n, sizeof n);  // the nonce's other bytes are zero
    crypto_aead_aes256gcm_encrypt_afternm(p + k_gcm_nonce, nullptr, plain.data(), plain.size(), nullptr, 0, nullptr, p,
                                          reinterpret_cast<const crypto_aead_aes256gcm_state*>(key_.data()));
    return out;
}

std::optional<SecretBytes> TokenCache::open(const std::string& sealed) const {
    const auto* in = reinterpret_cast<const unsigned char*>(sealed.data());
    if (cipher_ == CacheCipher::xsalsa20poly1305) {
        const std::size_t clen = sealed.size() - k_box_nonce;
        auto plain = SecretBytes::zeroed(clen - k_box_tag);
        if (crypto_secretbox_open_easy(plain.data(), in + k_box_nonce, clen, in, key_.data()) != 0) return std::nullopt;
        return plain;
    }
    const std::size_t clen = sealed.size() - k_gcm_nonce;
    auto plain = SecretBytes::zeroed(clen - k_gcm_tag);
    if (crypto_aead_aes256gcm_decrypt_afternm(plain.data(), nullptr, nullptr, in + k_gcm_nonce, clen, nullptr, 0, in,
                                              reinterpret_cast<const crypto_aead_aes256gcm_state*>(key_.data())) != 0) {
        return std::nullopt;
    }
    return plain;
}

void TokenCache::put(const std::string& key, const CachedToken& token) {
    Sealed s;
    s.nonce_and_box = seal(token.access_token);
    s.expires_at = token.expires_at;
    s.scope = token.scope;
    s.subject = token.subject;
    entries_[key] = std::move(s);
    retired_.erase(key);
}

std::optional<CachedToken> TokenCache::found(const std::map<std::string, Sealed>& in, const std::string& key,
                                             std::int64_t now, std::int64_t min_valid_seconds) const {
    auto it = in.find(key);
    if (it == in.end() || it->second.expires_at - now < min_valid_seconds) return std::nullopt;
    auto plain = open(it->second.nonce_and_box);
    if (!plain) return std::nullopt;
    return CachedToken{std::move(*plain), it->second.expires_at, it->second.scope, it->second.subject};
}

std::optional<CachedToken> TokenCache::get(const std::string& key, std::int64_t now,
                                           std::int64_t min_valid_seconds) const {
    return found(entries_, key, now, min_valid_seconds);
}

std::optional<CachedToken> TokenCache::get_retired(const std::string& key, std::int64_t now,
                                                   std::int64_t min_valid_seconds) const {
    return found(retired_, key, now, min_valid_seconds);
}

void TokenCache::erase(const std::string& key) {
    entries_.erase(key);
}

namespace {

using Entries = std::map<std::string, TokenCache::Sealed>;

bool under(const Entries& m, Entries::const_iterator it, const std::string& prefix) {
    return it != m.end() && it->first.compare(0, prefix.size(), prefix) == 0;
}

void erase_under(Entries& m, const std::string& prefix) {
    auto it = m.lower_bound(prefix);
    while (under(m, it, prefix)) it = m.erase(it);
}

// Forgets the entries of `m` under `prefix` that expired before `now`, then
// the ones that expire first until `key` (kept) and the rest come to `max`;
// never `prefix` itself (the full-scope token).
void trim(Entries& m, const std::string& prefix, const std::string& key, std::size_t max, std::int64_t now) {
    std::size_t others = 0;
    for (auto it = m.lower_bound(prefix); under(m, it, prefix);) {
        if (it->second.expires_at < now) {
            it = m.erase(it);
            continue;
        }
        others += it->first != key ? 1 : 0;
        ++it;
    }
    for (; others >= max; --others) {
        auto first = m.end();
        for (auto it = m.lower_bound(prefix); under(m, it, prefix); ++it) {
            if (it->first == prefix || it->first == key) continue;
            if (first == m.end() || it->second.expires_at < first->second.expires_at) first = it;
        }
        if (first == m.end()) return;
        m.erase(first);
    }
}

}  // namespace

void TokenCache::erase_prefix(const std::string& prefix) {
    erase_under(entries_, prefix);
    erase_under(retired_, prefix);
}

void TokenCache::erase_retired(const std::string& prefix) {
    erase_under(retired_, prefix);
}

void TokenCache::retire_prefix(const std::string& prefix, std::int64_t now) {
    auto it = entries_.lower_bound(prefix);
    while (under(entries_, it, prefix)) {
        retired_.insert_or_assign(it->first, std::move(it->second));
        it = entries_.erase(it);
    }
    trim(retired_, prefix, prefix, k_max_per_prefix, now);
}

void TokenCache::make_room(const std::string& prefix, const std::string& key, std::int64_t now) {
    trim(entries_, prefix, key, k_max_per_prefix, now);
}

}  // namespace credctl::tokens
