#include "daemon/tokens/token_cache.hpp"

#include <gtest/gtest.h>

namespace credctl::tokens {
namespace {

CachedToken token(const std::string& value, std::int64_t expires_at, const std::string& scope = "openid") {
    return CachedToken{SecretBytes::from(value), expires_at, scope};
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
    TokenCache c;
    EXPECT_FALSE(c.get("nobody/none", 0, 0).has_value());
}

TEST(TokenCache, MinValidLargerThanRemainingIsNullopt) {
    TokenCache c;
    c.put("k", token("AT", 1100));
    EXPECT_FALSE(c.get("k", 1000, 101).has_value());
    EXPECT_FALSE(c.get("k", 1000, 3600).has_value());
    EXPECT_TRUE(c.get("k", 1000, 99).has_value());
}

TEST(TokenCache, ExpiredTokenIsNullopt) {
    TokenCache c;
    c.put("k", token("AT", 1000));
    EXPECT_FALSE(c.get("k", 1001, 0).has_value());
}

TEST(TokenCache, PutReplaces) {
    TokenCache c;
    c.put("k", token("old", 2000));
    c.put("k", token("new", 3000));
    auto got = c.get("k", 1000, 0);
    ASSERT_TRUE(got.has_value());
    EXPECT_EQ(got->access_token.reveal(), "new");
    EXPECT_EQ(got->expires_at, 3000);
}

TEST(TokenCache, EraseRemovesOnlyThatKey) {
    TokenCache c;
    c.put("a", token("AT-a", 2000));
    c.put("b", token("AT-b", 2000));
    c.erase("a");
    EXPECT_FALSE(c.get("a", 1000, 0).has_value());
    auto b = c.get("b", 1000, 0);
    ASSERT_TRUE(b.has_value());
    EXPECT_EQ(b->access_token.reveal(), "AT-b");
    c.erase("missing");  // no-op
}

TEST(TokenCache, KeysAreIndependent) {
    TokenCache c;
    c.put("alice/github", token("AT-alice", 2000));
    c.put("bob/github", token("AT-bob", 2000));
    EXPECT_EQ(c.get("alice/github", 1000, 0)->access_token.reveal(), "AT-alice");
    EXPECT_EQ(c.get("bob/github", 1000, 0)->access_token.reveal(), "AT-bob");
}

TEST(TokenCache, TokenValidForExactlyMinValidIsReturned) {
    TokenCache c;
    c.put("k", token("AT", 1100));
    EXPECT_TRUE(c.get("k", 1000, 100).has_value());
}

TEST(TokenCache, SeparateCachesDoNotShareKeys) {
    TokenCache a;
    TokenCache b;
    a.put("k", token("AT-a", 2000));
    EXPECT_FALSE(b.get("k", 1000, 0).has_value());
}

}  // namespace
}  // namespace credctl::tokens

namespace credctl::tokens {
namespace {

TEST(TokenCache, ErasePrefixDropsEveryScopeOfOneCredentialOnly) {
    TokenCache c;
    const std::string alice("alice\0gh\0", 9);
    c.put(alice, token("AT-full", 2000));
    c.put(alice + "repo", token("AT-repo", 2000));
    c.put(std::string("alice\0gh2\0", 10), token("AT-other", 2000));
    c.erase_prefix(alice);
    EXPECT_FALSE(c.get(alice, 1000, 0).has_value());
    EXPECT_FALSE(c.get(alice + "repo", 1000, 0).has_value());
    EXPECT_TRUE(c.get(std::string("alice\0gh2\0", 10), 1000, 0).has_value());
}

}  // namespace
}  // namespace credctl::tokens
