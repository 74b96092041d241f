#include "daemon/store/record_codec.hpp"

#include "support/sample_record.hpp"

#include <gtest/gtest.h>

#include <string>

namespace credctl::store {
namespace {

SecretBytes with_bytes(const SecretBytes& base, std::size_t size) {
    auto out = SecretBytes::zeroed(size);
    std::copy_n(base.data(), std::min(size, base.size()), out.data());
    return out;
}

TEST(RecordCodec, EveryFieldRoundTrips) {
    const CredentialRecord in = test::sample_record();
    auto decoded = decode_record(encode_record(in, "sealed-RT"));
    ASSERT_TRUE(decoded.has_value()) << decoded.error().message;
    EXPECT_EQ(decoded->sealed_refresh_token, "sealed-RT");
    const auto* out = &decoded->record;
    EXPECT_EQ(out->access_token.reveal(), "AT-abcdef");
    EXPECT_EQ(out->access_expires_at, 1700000123);
    EXPECT_EQ(out->scope, "openid email offline_access");
    EXPECT_EQ(out->issuer, "https://issuer.example");
    EXPECT_EQ(out->subject, "subject-42");
    EXPECT_EQ(out->created_at, 1600000000);
    EXPECT_EQ(out->updated_at, 1650000000);
    EXPECT_EQ(out->rotation, 7u);
    EXPECT_EQ(out->state, CredentialState::login_required);
    EXPECT_EQ(out->refreshed_at, 1640000000);
}

// docs/store-format.md: field 11 (refreshed at) came later; a record that
// ends after the state still opens, refreshed when it was last updated.
TEST(RecordCodec, RecordWrittenWithoutRefreshedAtOpensWithItsUpdateTime) {
    const SecretBytes full = encode_record(test::sample_record(), "sealed-RT");
    auto decoded = decode_record(with_bytes(full, full.size() - 8));
    ASSERT_TRUE(decoded.has_value()) << decoded.error().message;
    EXPECT_EQ(decoded->record.state, CredentialState::login_required);
    EXPECT_EQ(decoded->record.rotation, 7u);
    EXPECT_EQ(decoded->record.refreshed_at, 1650000000);
}

TEST(RecordCodec, EmptyFieldsAndExtremeIntegersRoundTrip) {
    CredentialRecord in;
    in.access_expires_at = -1;
    in.created_at = INT64_MIN;
    in.updated_at = INT64_MAX;
    in.rotation = UINT64_MAX;
    auto decoded = decode_record(encode_record(in, ""));
    ASSERT_TRUE(decoded.has_value()) << decoded.error().message;
    EXPECT_EQ(decoded->sealed_refresh_token, "");
    const auto* out = &decoded->record;
    EXPECT_TRUE(out->access_token.empty());
    EXPECT_EQ(out->access_expires_at, -1);
    EXPECT_EQ(out->scope, "");
    EXPECT_EQ(out->created_at, INT64_MIN);
    EXPECT_EQ(out->updated_at, INT64_MAX);
    EXPECT_EQ(out->rotation, UINT64_MAX);
    EXPECT_EQ(out->state, CredentialState::valid);
}

TEST(RecordCodec, EveryTruncationIsAnErrorButTheOlderLayout) {
    const SecretBytes full = encode_record(test::sample_record(), "sealed-RT");
    for (std::size_t len = 0; len < full.size(); ++len) {
        if (len == full.size() - 8) continue;  // the layout without refreshed at, above
        auto out = decode_record(with_bytes(full, len));
        EXPECT_FALSE(out.has_value()) << "length " << len;
        if (!out) {
            EXPECT_EQ(out.error().code, Errc::internal);
            EXPECT_EQ(out.error().message, "record plaintext is malformed");
        }
    }
}

TEST(RecordCodec, TrailingGarbageIsAnError) {
    const SecretBytes full = encode_record(test::sample_record(), "sealed-RT");
    auto out = decode_record(with_bytes(full, full.size() + 1));
    ASSERT_FALSE(out.has_value());
    EXPECT_EQ(out.error().code, Errc::internal);
    EXPECT_EQ(out.error().message, "record plaintext is malformed");
}

TEST(RecordCodec, EmptyPlaintextIsAnError) {
    EXPECT_FALSE(decode_record(SecretBytes{}).has_value());
}

TEST(RecordCodec, UnknownStateIsAnError) {
    const SecretBytes full = encode_record(test::sample_record(), "sealed-RT");
    auto bad = full.clone();
    bad.data()[bad.size() - 16] = 3;  // state is the u64 before refreshed at, little-endian; 0..2 are known
    auto out = decode_record(bad);
    ASSERT_FALSE(out.has_value());
    EXPECT_EQ(out.error().message, "record plaintext is malformed");
}

TEST(RecordCodec, HugeLengthPrefixIsAnErrorNotAnOverread) {
    auto bad = encode_record(test::sample_record(), "sealed-RT");
    for (int i = 0; i < 4; ++i) bad.data()[i] = 0xff;  // length of the sealed refresh token
    EXPECT_FALSE(decode_record(bad).has_value());
}

}  // namespace
}  // namespace credctl::store
