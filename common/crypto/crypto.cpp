#include "common/crypto/crypto.hpp"

#include <sodium.h>

#include <vector>

namespace credctl::crypto {

Result<void> init() {
    if (sodium_init() < 0) return make_error(Errc::internal, "libsodium failed to initialise");
    return {};
}

SecretString random_secret(std::size_t bytes) {
    constexpr int k_variant = sodium_base64_VARIANT_URLSAFE_NO_PADDING;
    SecretString raw(bytes, '\0');
    randombytes_buf(raw.data(), raw.size());
    SecretString out(sodium_base64_encoded_len(raw.size(), k_variant), '\0');
    sodium_bin2base64(out.data(), out.size(), reinterpret_cast<const unsigned char*>(raw.data()), raw.size(),
                      k_variant);
    out.pop_back();  // the terminating NUL
    return out;
}

std::string random_token(std::size_t bytes) {
    return std::string(random_secret(bytes).view());
}

std::string base64url_encode(std::string_view data) {
    constexpr int k_variant = sodium_base64_VARIANT_URLSAFE_NO_PADDING;
    std::string out(sodium_base64_encoded_len(data.size(), k_variant), '\0');
    sodium_bin2base64(out.data(), out.size(), reinterpret_cast<const unsigned char*>(data.data()), data.size(),
                      k_variant);
    out.resize(out.size() - 1);  // drop the terminating NUL
    return out;
}

std::optional<std::string> base64url_decode(std::string_view text) {
    std::string out(text.size(), '\0');
    std::size_t len = 0;
    if (sodium_base642bin(reinterpret_cast<unsigned char*>(out.data()), out.size(), text.data(), text.size(), nullptr,
                          &len, nullptr, sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0) {
        return std::nullopt;
    }
    out.resize(len);
    return out;
}

std::string sha256(std::string_view data) {
    std::string out(crypto_hash_sha256_BYTES, '\0');
    crypto_hash_sha256(reinterpret_cast<unsigned char*>(out.data()),
                       reinterpret_cast<const unsigned char*>(data.data()), data.size());
    return out;
}

std::string hex(std::string_view data) {
    std::string out(data.size() * 2 + 1, '\0');
    sodium_bin2hex(out.data(), out.size(), reinterpret_cast<const unsigned char*>(data.data()), data.size());
    out.pop_back();
    return out;
}

}  // namespace credctl::crypto
