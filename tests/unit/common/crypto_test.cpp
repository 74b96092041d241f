#include "common/crypto/crypto.hpp"

#include <gtest/gtest.h>

#include <set>
#include <string>

namespace credctl::crypto {
namespace {

TEST(Base64url, RoundTripsEveryByteValueAndLength) {
    std::string all;
    for (int i = 0; i < 256; ++i) all.push_back(static_cast<char>(i));
    for (std::size_t len = 0; len <= all.size(); len += 1) {
        const std::string in = all.substr(0, len);
        const std::string enc = base64url_encode(in);
        EXPECT_EQ(enc.find_first_of("+/="), std::string::npos) << enc;
        auto dec = base64url_decode(enc);
        ASSERT_TRUE(dec.has_value()) << enc;
        EXPECT_EQ(*dec, in);
    }
}

TEST(Base64url, EncodesKnownVectorsWithoutPadding) {
    EXPECT_EQ(base64url_encode(""), "");
    EXPECT_EQ(base64url_encode("f"), "Zg");
    EXPECT_EQ(base64url_encode("fo"), "Zm8");
    EXPECT_EQ(base64url_encode("foo"), "Zm9v");
    EXPECT_EQ(base64url_encode("\xfb\xff"), "-_8");
}

TEST(Base64url, RejectsInvalidInput) {
    EXPECT_FALSE(base64url_decode("Zm9v!").has_value());
    EXPECT_FALSE(base64url_decode("Zg==").has_value());  // padding is not base64url here
    EXPECT_FALSE(base64url_decode("+/8").has_value());   // standard alphabet
    EXPECT_FALSE(base64url_decode("Z").has_value());     // impossible length
    EXPECT_FALSE(base64url_decode("Zm 9v").has_value());
}

TEST(Sha256, AbcMatchesKnownVector) {
    EXPECT_EQ(hex(sha256("abc")), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    EXPECT_EQ(sha256("abc").size(), 32u);
}

TEST(Sha256, EmptyMatchesKnownVector) {
    EXPECT_EQ(hex(sha256("")), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST(Hex, EncodesLowercase) {
    EXPECT_EQ(hex(std::string("\x00\x0f\xab\xff", 4)), "000fabff");
}

TEST(RandomToken, ThirtyTwoBytesGiveFortyThreeChars) {
    const std::string t = random_token(32);
    EXPECT_EQ(t.size(), 43u);
    auto raw = base64url_decode(t);
    ASSERT_TRUE(raw.has_value());
    EXPECT_EQ(raw->size(), 32u);
}

TEST(RandomToken, TokensAreDistinct) {
    std::set<std::string> seen;
    for (int i = 0; i < 100; ++i) seen.insert(random_token(32));
    EXPECT_EQ(seen.size(), 100u);
}

TEST(CryptoInit, Succeeds) {
    EXPECT_TRUE(init().has_value());
}

TEST(Base64url, RejectsNonCanonicalTrailingBits) {
    // "Zg" is the encoding of "f"; "Zh" carries set padding bits.
    EXPECT_FALSE(base64url_decode("Zh").has_value());
}

}  // namespace
}  // namespace credctl::crypto
