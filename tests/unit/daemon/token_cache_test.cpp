#include "daemon/tokens/token_cache.hpp"

#include <gtest/gtest.h>

#include <string>

namespace credctl::tokens {
namespace {

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

TEST(TokenCache, PutThenGetReturnsTheToken) {
    TokenCache c;
    c.put("alice/github", token("AT-1", 2000, "repo"));
    auto got = c.get("alice/github", 1000, 60);
    ASSERT_TRUE(got.has_value());
    EXPECT_EQ(got->access_token.reveal(), "AT-1");
    EXPECT_EQ(got->expires_at, 2000);
    EXPECT_EQ(got->scope, "repo");
}

TEST(TokenCache, UnknownKeyIsNullopt) {
    const TokenCache c;
    EXPECT_EQ(served(c, "nobody/none", 0, 0), "(none)");
}

TEST(TokenCache, MinValidLargerThanRemainingIsNullopt) {
    TokenCache c;
    c.put("k", token("AT", 1100));
    EXPECT_EQ(served(c, "k", 1000, 101), "(none)");
    EXPECT_EQ(served(c, "k", 1000, 3600), "(none)");
    EXPECT_EQ(served(c, "k", 1000, 99), "AT");
}

TEST(TokenCache, ExpiredTokenIsNullopt) {
    TokenCache c;
    c.put("k", token("AT", 1000));
    EXPECT_EQ(served(c, "k", 1001), "(none)");
}

TEST(TokenCache, PutReplaces) {
    TokenCache c;
    c.put("k", token("old", 2000));
    c.put("k", token("new", 3000));
    EXPECT_EQ(served(c, "k"), "new");
    EXPECT_EQ(c.get("k", 1000, 0).value().expires_at, 3000);
}

TEST(TokenCache, EraseRemovesOnlyThatKey) {
    TokenCache c;
    c.put("a", token("AT-a", 2000));
    c.put("b", token("AT-b", 2000));
    c.erase("a");
    c.erase("missing");  // no-op
    EXPECT_EQ(served(c, "a"), "(none)");
    EXPECT_EQ(served(c, "b"), "AT-b");
}

TEST(TokenCache, KeysAreIndependent) {
    TokenCache c;
    c.put("alice/github", token("AT-alice", 2000));
    c.put("bob/github", token("AT-bob", 2000));
    EXPECT_EQ(served(c, "alice/github"), "AT-alice");
    EXPECT_EQ(served(c, "bob/github"), "AT-bob");
}

TEST(TokenCache, TokenValidForExactlyMinValidIsReturned) {
    TokenCache c;
    c.put("k", token("AT", 1100));
    EXPECT_EQ(served(c, "k", 1000, 100), "AT");
}

TEST(TokenCache, SeparateCachesDoNotShareKeys) {
    TokenCache a;
    const TokenCache b;
    a.put("k", token("AT-a", 2000));
    EXPECT_EQ(served(b, "k"), "(none)");
}

TEST(TokenCache, ErasePrefixDropsEveryScopeOfOneCredentialOnly) {
    TokenCache c;
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

}  // namespace
}  // namespace credctl::tokens
