#include "daemon/tokens/token_cache.hpp"

#include <gtest/gtest.h>
#include <sodium.h>

#include <string>

namespace credctl::tokens {
namespace {

// Every behaviour, under each cipher.
class TokenCacheTest : public ::testing::TestWithParam<CacheCipher> {};

CachedToken token(const std::string& value, std::int64_t expires_at, const std::string& scope = "openid") {
    return CachedToken{SecretBytes::from(value), expires_at, scope};
}

// The access token `cache` serves for `key` at `now` for at least
// `min_valid` seconds, or "(none)".
std::string served(const TokenCache& cache, const std::string& key, std::int64_t now = 1000,
                   std::int64_t min_valid = 0) {
    auto got = cache.get(key, now, min_valid);
    return got ? std::string(got->access_token.reveal()) : "(none)";
}

TEST_P(TokenCacheTest, PutThenGetReturnsTheToken) {
    TokenCache c{GetParam()};
    c.put("alice/github", token("AT-1", 2000, "repo"));
    auto got = c.get("alice/github", 1000, 60);
    ASSERT_TRUE(got.has_value());
    EXPECT_EQ(got->access_token.reveal(), "AT-1");
    EXPECT_EQ(got->expires_at, 2000);
    EXPECT_EQ(got->scope, "repo");
}

TEST_P(TokenCacheTest, UnknownKeyIsNullopt) {
    const TokenCache c{GetParam()};
    EXPECT_EQ(served(c, "nobody/none", 0, 0), "(none)");
}

TEST_P(TokenCacheTest, MinValidLargerThanRemainingIsNullopt) {
    TokenCache c{GetParam()};
    c.put("k", token("AT", 1100));
    EXPECT_EQ(served(c, "k", 1000, 101), "(none)");
    EXPECT_EQ(served(c, "k", 1000, 3600), "(none)");
    EXPECT_EQ(served(c, "k", 1000, 99), "AT");
}

TEST_P(TokenCacheTest, ExpiredTokenIsNullopt) {
    TokenCache c{GetParam()};
    c.put("k", token("AT", 1000));
    EXPECT_EQ(served(c, "k", 1001), "(none)");
}

TEST_P(TokenCacheTest, PutReplaces) {
    TokenCache c{GetParam()};
    c.put("k", token("old", 2000));
    c.put("k", token("new", 3000));
    EXPECT_EQ(served(c, "k"), "new");
    EXPECT_EQ(c.get("k", 1000, 0).value().expires_at, 3000);
}

TEST_P(TokenCacheTest, EraseRemovesOnlyThatKey) {
    TokenCache c{GetParam()};
    c.put("a", token("AT-a", 2000));
    c.put("b", token("AT-b", 2000));
    c.erase("a");
    c.erase("missing");  // no-op
    EXPECT_EQ(served(c, "a"), "(none)");
    EXPECT_EQ(served(c, "b"), "AT-b");
}

TEST_P(TokenCacheTest, KeysAreIndependent) {
    TokenCache c{GetParam()};
    c.put("alice/github", token("AT-alice", 2000));
    c.put("bob/github", token("AT-bob", 2000));
    EXPECT_EQ(served(c, "alice/github"), "AT-alice");
    EXPECT_EQ(served(c, "bob/github"), "AT-bob");
}

TEST_P(TokenCacheTest, TokenValidForExactlyMinValidIsReturned) {
    TokenCache c{GetParam()};
    c.put("k", token("AT", 1100));
    EXPECT_EQ(served(c, "k", 1000, 100), "AT");
}

TEST_P(TokenCacheTest, SeparateCachesDoNotShareKeys) {
    TokenCache a{GetParam()};
    const TokenCache b{GetParam()};
    a.put("k", token("AT-a", 2000));
    EXPECT_EQ(served(b, "k"), "(none)");
}

TEST_P(TokenCacheTest, ErasePrefixDropsEveryScopeOfOneCredentialOnly) {
    TokenCache c{GetParam()};
    const std::string alice("alice\0gh\0", 9);
    const std::string other("alice\0gh2\0", 10);
    c.put(alice, token("AT-full", 2000));
    c.put(alice + "repo", token("AT-repo", 2000));
    c.put(other, token("AT-other", 2000));
    c.erase_prefix(alice);
    EXPECT_EQ(served(c, alice), "(none)");
    EXPECT_EQ(served(c, alice + "repo"), "(none)");
    EXPECT_EQ(served(c, other), "AT-other");
}

TEST_P(TokenCacheTest, ManyTokensEachOpenToItsOwnValue) {
    TokenCache c{GetParam()};
    for (int i = 0; i < 200; ++i) c.put("k" + std::to_string(i), token("AT-" + std::to_string(i), 2000));
    for (int i = 0; i < 200; ++i) EXPECT_EQ(served(c, "k" + std::to_string(i)), "AT-" + std::to_string(i));
}

TEST_P(TokenCacheTest, EmptyAndLongTokensRoundTrip) {
    TokenCache c{GetParam()};
    const std::string long_token(16 * 1024, 'x');
    c.put("empty", token("", 2000));
    c.put("long", token(long_token, 2000));
    auto empty = c.get("empty", 1000, 0);
    ASSERT_TRUE(empty.has_value());
    EXPECT_TRUE(empty->access_token.empty());
    EXPECT_EQ(served(c, "long"), long_token);
}

std::string cipher_name(const ::testing::TestParamInfo<CacheCipher>& cipher) {
    return cipher.param == CacheCipher::aes256gcm ? "Aes256Gcm" : "XSalsa20Poly1305";
}

INSTANTIATE_TEST_SUITE_P(Ciphers, TokenCacheTest,
                         ::testing::Values(CacheCipher::aes256gcm, CacheCipher::xsalsa20poly1305), cipher_name);

// AES-256-GCM wherever libsodium can run it; the other cipher as asked.
TEST(TokenCacheCipher, TheFasterCipherIsChosenWhereTheCpuRunsIt) {
    const bool aes = crypto_aead_aes256gcm_is_available() != 0;
    EXPECT_EQ(TokenCache().cipher(), aes ? CacheCipher::aes256gcm : CacheCipher::xsalsa20poly1305);
    EXPECT_EQ(TokenCache(CacheCipher::aes256gcm).cipher(), TokenCache().cipher());
    EXPECT_EQ(TokenCache(CacheCipher::xsalsa20poly1305).cipher(), CacheCipher::xsalsa20poly1305);
}

// The scope sets of one credential are the caller's to choose: expired ones
// go, and at most k_max_per_prefix entries stay, the one being put and the
// full-scope token among them, the soonest to expire leaving first.
TEST(TokenCache, MakeRoomKeepsACredentialsScopeSetsBounded) {
    TokenCache cache;
    const std::string ck = std::string("alice\0demo\0", 11);
    cache.put(ck, CachedToken{SecretBytes::from("full"), 100, "openid"});
    cache.put(ck + "old", CachedToken{SecretBytes::from("old"), 5, "old"});
    for (int i = 0; i < 100; ++i) {
        const std::string sk = "s" + std::to_string(i);
        cache.make_room(ck, ck + sk, 10);
        cache.put(ck + sk, CachedToken{SecretBytes::from(sk), 1000 + i, sk});
    }
    const std::string bob = std::string("bob\0demo\0", 9) + "s0";
    cache.put(bob, CachedToken{SecretBytes::from("bob"), 1000, "s0"});
    EXPECT_FALSE(cache.get(ck + "old", 0, 0));  // expired at 10
    EXPECT_TRUE(cache.get(ck, 10, 0));          // the full-scope token
    EXPECT_FALSE(cache.get(ck + "s0", 10, 0));  // the first to expire went
    EXPECT_FALSE(cache.get(ck + "s36", 10, 0));
    EXPECT_TRUE(cache.get(ck + "s37", 10, 0));  // 63 scope sets and the full scope: 64
    EXPECT_TRUE(cache.get(ck + "s99", 10, 0));
    EXPECT_TRUE(cache.get(bob, 10, 0));  // another credential's are not counted
}

// A credential another process changed: its tokens are set aside, found
// only by get_retired() (with the subject they were cached under) until a
// put() replaces one or erase_prefix() forgets the credential; a later
// retirement adds to the earlier one.
TEST(TokenCache, RetiredTokensAreFoundOnlyAsRetired) {
    TokenCache cache;
    const std::string ck = std::string("alice\0demo\0", 11);
    cache.put(ck + "a", CachedToken{SecretBytes::from("A1"), 100, "a", "sub-1"});
    cache.put(ck + "b", CachedToken{SecretBytes::from("B1"), 100, "b", "sub-1"});
    cache.put("bob", CachedToken{SecretBytes::from("bob"), 100, "", ""});
    cache.retire_prefix(ck, 10);
    EXPECT_FALSE(cache.get(ck + "a", 10, 0));
    auto a = cache.get_retired(ck + "a", 10, 0);
    ASSERT_TRUE(a);
    EXPECT_EQ(a->access_token.reveal(), "A1");
    EXPECT_EQ(a->subject, "sub-1");
    EXPECT_TRUE(cache.get("bob", 10, 0));  // another credential's stay
    cache.put(ck + "a", CachedToken{SecretBytes::from("A2"), 200, "a", "sub-1"});
    EXPECT_FALSE(cache.get_retired(ck + "a", 10, 0));  // replaced
    cache.retire_prefix(ck, 10);
    auto a2 = cache.get_retired(ck + "a", 10, 0);
    auto b1 = cache.get_retired(ck + "b", 10, 0);  // kept from the first
    ASSERT_TRUE(a2 && b1);
    EXPECT_EQ(a2->access_token.reveal(), "A2");
    EXPECT_EQ(b1->access_token.reveal(), "B1");
    EXPECT_FALSE(cache.get_retired(ck + "b", 99, 2));  // 1 s left of 2 asked
    cache.retire_prefix(ck, 150);                      // B1 expired at 100
    EXPECT_FALSE(cache.get_retired(ck + "b", 10, 0));
    cache.erase_prefix(ck);
    EXPECT_FALSE(cache.get_retired(ck + "a", 10, 0));
}

}  // namespace
}  // namespace credctl::tokens
