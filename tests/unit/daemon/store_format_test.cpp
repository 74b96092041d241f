// docs/store-format.md, checked byte by byte: a record sealed by the store is
// opened here by plain libsodium using only what the document says (header
// layout, associated data, plaintext layout). If the code and the document
// drift apart, this fails.
#include "daemon/store/record_codec.hpp"
#include "daemon/store/sealer.hpp"

#include <gtest/gtest.h>
#include <sodium.h>

#include <string>

namespace credctl::store {
namespace {

std::string be32(std::uint32_t v) {
    std::string s;
    for (int shift = 24; shift >= 0; shift -= 8) s.push_back(static_cast<char>((v >> shift) & 0xff));
    return s;
}

std::string le32(std::uint32_t v) {
    std::string s;
    for (int shift = 0; shift < 32; shift += 8) s.push_back(static_cast<char>((v >> shift) & 0xff));
    return s;
}

std::string le64(std::uint64_t v) {
    std::string s;
    for (int shift = 0; shift < 64; shift += 8) s.push_back(static_cast<char>((v >> shift) & 0xff));
    return s;
}

std::string lv(const std::string& s) {
    return le32(static_cast<std::uint32_t>(s.size())) + s;
}

TEST(StoreFormat, ASealedRecordOpensWithOnlyTheDocumentedLayout) {
    auto key = SecretBytes::zeroed(k_master_key_bytes);
    randombytes_buf(key.data(), key.size());
    const std::string raw_key(key.reveal());
    Sealer sealer(std::move(key), 5);
    CredentialRecord r;
    r.refresh_token = SecretBytes::from("RT-1");
    r.access_token = SecretBytes::from("AT-22");
    r.access_expires_at = 1700000000;
    r.scope = "openid";
    r.issuer = "https://i.example";
    r.subject = "sub";
    r.created_at = 1;
    r.updated_at = 2;
    r.rotation = 3;
    r.state = CredentialState::login_required;
    const std::string record_key("alice\0github", 12);
    const std::string sealed = sealer.seal("credentials", record_key, encode_record(r));

    // Header: version 1, key id big-endian, 24-byte nonce.
    ASSERT_GT(sealed.size(), 1u + 4 + 24 + 16);
    EXPECT_EQ(sealed[0], '\x01');
    EXPECT_EQ(sealed.substr(1, 4), be32(5));
    const std::string nonce = sealed.substr(5, 24);
    const std::string cipher = sealed.substr(29);
    // Associated data: "credctl-store", version, key id, then database and
    // record key, each with a 4-byte big-endian length.
    const std::string ad = "credctl-store" + std::string(1, '\x01') + be32(5) + be32(11) + "credentials" +
                           be32(static_cast<std::uint32_t>(record_key.size())) + record_key;
    std::string plain(cipher.size() - crypto_aead_xchacha20poly1305_ietf_ABYTES, '\0');
    unsigned long long plen = 0;
    ASSERT_EQ(
        crypto_aead_xchacha20poly1305_ietf_decrypt(reinterpret_cast<unsigned char*>(plain.data()), &plen, nullptr,
                                                   reinterpret_cast<const unsigned char*>(cipher.data()), cipher.size(),
                                                   reinterpret_cast<const unsigned char*>(ad.data()), ad.size(),
                                                   reinterpret_cast<const unsigned char*>(nonce.data()),
                                                   reinterpret_cast<const unsigned char*>(raw_key.data())),
        0);
    // Plaintext: strings as u32 LE length + bytes, integers as u64 LE, in
    // the documented order.
    const std::string expected = lv("RT-1") + lv("AT-22") + le64(1700000000) + lv("openid") + lv("https://i.example") +
                                 lv("sub") + le64(1) + le64(2) + le64(3) + le64(1);
    EXPECT_EQ(plain, expected);
}

}  // namespace
}  // namespace credctl::store
