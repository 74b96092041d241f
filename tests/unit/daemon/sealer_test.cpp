#include "daemon/store/sealer.hpp"

#include "support/sample_record.hpp"

#include <gtest/gtest.h>
#include <sodium.h>

#include <optional>
#include <string>

namespace credctl::store {
namespace {

using test::key_of;

SecretBytes random_key() {
    auto k = SecretBytes::zeroed(k_master_key_bytes);
    randombytes_buf(k.data(), k.size());
    return k;
}

const std::string k_record_key = std::string("alice\0github", 12);

TEST(Sealer, SealThenOpenReturnsPlaintext) {
    Sealer s(key_of(1));
    const auto plain = SecretBytes::from("refresh-token-value");
    const std::string sealed = s.seal("credentials", k_record_key, plain);
    auto opened = s.open("credentials", k_record_key, sealed);
    ASSERT_TRUE(opened.has_value()) << opened.error().message;
    EXPECT_EQ(opened->reveal(), "refresh-token-value");
}

TEST(Sealer, EmptyPlaintextRoundTrips) {
    Sealer s(key_of(1));
    auto opened = s.open("credentials", k_record_key, s.seal("credentials", k_record_key, SecretBytes{}));
    ASSERT_TRUE(opened.has_value()) << opened.error().message;
    EXPECT_TRUE(opened->empty());
}

TEST(Sealer, SealedValueHasDocumentedLayout) {
    Sealer s(key_of(1));
    const std::string sealed = s.seal("credentials", k_record_key, SecretBytes::from("abc"));
    // version(1) | key_id(4) | nonce(24) | ciphertext(3) | tag(16)
    ASSERT_EQ(sealed.size(), 1u + 4u + 24u + 3u + 16u);
    EXPECT_EQ(static_cast<unsigned char>(sealed[0]), k_format_version);
    const std::uint32_t id = (std::uint32_t{static_cast<unsigned char>(sealed[1])} << 24) |
                             (std::uint32_t{static_cast<unsigned char>(sealed[2])} << 16) |
                             (std::uint32_t{static_cast<unsigned char>(sealed[3])} << 8) |
                             std::uint32_t{static_cast<unsigned char>(sealed[4])};
    EXPECT_EQ(id, s.key_id());
    EXPECT_EQ(sealed.find("abc"), std::string::npos);
}

TEST(Sealer, SealingTwiceUsesFreshNonces) {
    Sealer s(key_of(1));
    const auto plain = SecretBytes::from("same");
    EXPECT_NE(s.seal("credentials", k_record_key, plain), s.seal("credentials", k_record_key, plain));
}

TEST(Sealer, KeyIdDependsOnKey) {
    EXPECT_EQ(Sealer(key_of(1)).key_id(), Sealer(key_of(1)).key_id());
    EXPECT_NE(Sealer(key_of(1)).key_id(), Sealer(key_of(2)).key_id());
}

TEST(Sealer, RecordSealedUnderAnotherKeyFailsToOpen) {
    Sealer a(random_key());
    Sealer b(random_key());
    const std::string sealed = a.seal("credentials", k_record_key, SecretBytes::from("secret"));
    auto opened = b.open("credentials", k_record_key, sealed);
    ASSERT_FALSE(opened.has_value());
    EXPECT_EQ(opened.error().code, Errc::internal);
}

TEST(Sealer, RecordMovedToAnotherKeyFailsToOpen) {
    Sealer s(key_of(1));
    const std::string sealed = s.seal("credentials", k_record_key, SecretBytes::from("secret"));
    auto opened = s.open("credentials", std::string("mallory\0github", 14), sealed);
    ASSERT_FALSE(opened.has_value());
    EXPECT_EQ(opened.error().code, Errc::internal);
    EXPECT_EQ(opened.error().message, "record does not open (wrong key, moved or damaged)");
}

TEST(Sealer, RecordMovedToAnotherDatabaseFailsToOpen) {
    Sealer s(key_of(1));
    const std::string sealed = s.seal("credentials", k_record_key, SecretBytes::from("secret"));
    auto opened = s.open("meta", k_record_key, sealed);
    ASSERT_FALSE(opened.has_value());
    EXPECT_EQ(opened.error().message, "record does not open (wrong key, moved or damaged)");
}

TEST(Sealer, FlippedByteAnywhereFailsToOpen) {
    Sealer s(key_of(1));
    const std::string sealed = s.seal("credentials", k_record_key, SecretBytes::from("a-refresh-token"));
    for (std::size_t i = 0; i < sealed.size(); ++i) {
        for (const unsigned char bit : {static_cast<unsigned char>(0x01), static_cast<unsigned char>(0x80)}) {
            std::string damaged = sealed;
            damaged[i] = static_cast<char>(static_cast<unsigned char>(damaged[i]) ^ bit);
            auto opened = s.open("credentials", k_record_key, damaged);
            EXPECT_FALSE(opened.has_value()) << "byte " << i << " bit " << int{bit};
            if (!opened) {
                EXPECT_EQ(opened.error().code, Errc::internal);
            }
        }
    }
}

TEST(Sealer, TruncatedValueFailsToOpen) {
    Sealer s(key_of(1));
    const std::string sealed = s.seal("credentials", k_record_key, SecretBytes::from("a-refresh-token"));
    for (std::size_t len = 0; len < sealed.size(); ++len) {
        auto opened = s.open("credentials", k_record_key, sealed.substr(0, len));
        EXPECT_FALSE(opened.has_value()) << "length " << len;
    }
}

TEST(Sealer, AppendedBytesFailToOpen) {
    Sealer s(key_of(1));
    const std::string sealed = s.seal("credentials", k_record_key, SecretBytes::from("x"));
    EXPECT_FALSE(s.open("credentials", k_record_key, sealed + "junk").has_value());
}

TEST(Sealer, GarbageNeverOpens) {
    Sealer s(key_of(1));
    for (int i = 0; i < 200; ++i) {
        std::string junk(static_cast<std::size_t>(i), '\0');
        randombytes_buf(junk.data(), junk.size());
        if (!junk.empty()) junk[0] = static_cast<char>(k_format_version);
        EXPECT_FALSE(s.open("credentials", k_record_key, junk).has_value()) << i;
    }
}

TEST(Sealer, DataKeyCarriesItsAssignedIdAndTheHeaderNamesIt) {
    Sealer s(key_of(3), 7);
    EXPECT_EQ(s.key_id(), 7u);
    const std::string sealed = s.seal("credentials", k_record_key, SecretBytes::from("x"));
    EXPECT_EQ(Sealer::key_id_of(sealed), std::optional<std::uint32_t>(7));
    EXPECT_EQ(Sealer::key_id_of(sealed.substr(0, 10)), std::nullopt);
    EXPECT_EQ(Sealer::key_id_of("\x02" + sealed.substr(1)), std::nullopt) << "unknown format version";
}

TEST(Sealer, SameKeyBytesUnderAnotherIdDoNotOpen) {
    Sealer a(key_of(3), 1);
    Sealer b(key_of(3), 2);
    const std::string sealed = a.seal("credentials", k_record_key, SecretBytes::from("x"));
    EXPECT_FALSE(b.open("credentials", k_record_key, sealed).has_value());
    // Even with the header rewritten to id 2, the associated data still says 1.
    std::string forged = sealed;
    forged[4] = 2;
    EXPECT_FALSE(b.open("credentials", k_record_key, forged).has_value());
}

}  // namespace
}  // namespace credctl::store
