#include "daemon/store/sealer.hpp"

#include <sodium.h>

#include <cstdio>
#include <cstdlib>

namespace credctl::store {
namespace {

constexpr std::size_t k_header_bytes = 1 + 4 + crypto_aead_xchacha20poly1305_ietf_NPUBBYTES;

void put_u32(std::string& out, std::uint32_t v) {
    for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<char>((v >> shift) & 0xff));
}

std::uint32_t get_u32(std::string_view in) {
    std::uint32_t v = 0;
    for (int i = 0; i < 4; ++i) v = (v << 8) | static_cast<unsigned char>(in[static_cast<std::size_t>(i)]);
    return v;
}

// Associated data: every field is length-prefixed so that ("ab","c") and
// ("a","bc") can never produce the same bytes.
std::string associated_data(std::uint32_t key_id, std::string_view database, std::string_view record_key) {
    std::string ad = "credctl-store";
    ad.push_back(static_cast<char>(k_format_version));
    put_u32(ad, key_id);
    put_u32(ad, static_cast<std::uint32_t>(database.size()));
    ad += database;
    put_u32(ad, static_cast<std::uint32_t>(record_key.size()));
    ad += record_key;
    return ad;
}

std::uint32_t derive_key_id(const SecretBytes& key) {
    unsigned char digest[16];
    static constexpr unsigned char k_label[] = "credctl key id";
    crypto_generichash(digest, sizeof digest, k_label, sizeof k_label - 1, key.data(), key.size());
    return get_u32(std::string_view(reinterpret_cast<const char*>(digest), 4));
}

}  // namespace

Sealer::Sealer(SecretBytes key, std::uint32_t key_id) : key_(std::move(key)), key_id_(key_id) {
    if (key_.size() != k_master_key_bytes) {
        std::fputs("credd: store key has the wrong length\n", stderr);
        std::abort();
    }
}

Sealer::Sealer(SecretBytes key) : Sealer(std::move(key), 0) {
    key_id_ = derive_key_id(key_);
}

std::optional<std::uint32_t> Sealer::key_id_of(std::string_view sealed) {
    if (sealed.size() < k_header_bytes || static_cast<std::uint8_t>(sealed[0]) != k_format_version) {
        return std::nullopt;
    }
    return get_u32(sealed.substr(1, 4));
}

std::string Sealer::seal(std::string_view database, std::string_view record_key, const SecretBytes& plaintext) const {
    std::string out;
    out.reserve(k_header_bytes + plaintext.size() + crypto_aead_xchacha20poly1305_ietf_ABYTES);
    out.push_back(static_cast<char>(k_format_version));
    put_u32(out, key_id_);
    std::string nonce(crypto_aead_xchacha20poly1305_ietf_NPUBBYTES, '\0');
    randombytes_buf(nonce.data(), nonce.size());
    out += nonce;
    const std::string ad = associated_data(key_id_, database, record_key);
    const std::size_t offset = out.size();
    out.resize(offset + plaintext.size() + crypto_aead_xchacha20poly1305_ietf_ABYTES);
    unsigned long long clen = 0;
    crypto_aead_xchacha20poly1305_ietf_encrypt(reinterpret_cast<unsigned char*>(out.data() + offset), &clen,
                                               plaintext.data(), plaintext.size(),
                                               reinterpret_cast<const unsigned char*>(ad.data()), ad.size(), nullptr,
                                               reinterpret_cast<const unsigned char*>(nonce.data()), key_.data());
    out.resize(offset + clen);
    return out;
}

Result<SecretBytes> Sealer::open(std::string_view database, std::string_view record_key,
                                 std::string_view sealed) const {
    if (sealed.size() < k_header_bytes + crypto_aead_xchacha20poly1305_ietf_ABYTES) {
        return make_error(Errc::internal, "record is truncated");
    }
    if (static_cast<std::uint8_t>(sealed[0]) != k_format_version) {
        return make_error(Errc::internal,
                          "record has unknown format version " + std::to_string(static_cast<unsigned char>(sealed[0])));
    }
    const std::uint32_t key_id = get_u32(sealed.substr(1, 4));
    if (key_id != key_id_) return make_error(Errc::internal, "record is sealed under another master key");
    const auto nonce = sealed.substr(5, crypto_aead_xchacha20poly1305_ietf_NPUBBYTES);
    const auto cipher = sealed.substr(k_header_bytes);
    const std::string ad = associated_data(key_id, database, record_key);
    auto plain = SecretBytes::zeroed(cipher.size() - crypto_aead_xchacha20poly1305_ietf_ABYTES);
    unsigned long long plen = 0;
    if (crypto_aead_xchacha20poly1305_ietf_decrypt(
            plain.data(), &plen, nullptr, reinterpret_cast<const unsigned char*>(cipher.data()), cipher.size(),
            reinterpret_cast<const unsigned char*>(ad.data()), ad.size(),
            reinterpret_cast<const unsigned char*>(nonce.data()), key_.data()) != 0) {
        return make_error(Errc::internal, "record does not open (wrong key, moved or damaged)");
    }
    return plain;
}

}  // namespace credctl::store
