// The pace of refreshes per (credential, caller account): RefreshPace alone,
// then through TokenService with the fake upstream and clock (token_fakes.hpp),
// where a caller over its budget gets the cached token of its scope set or
// too_many_requests, and nothing reaches the provider.
#include "daemon/tokens/refresh_pace.hpp"
#include "daemon/tokens/token_service.hpp"
#include "support/run_now.hpp"
#include "token_fakes.hpp"

#include <gtest/gtest.h>

#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace credctl::tokens {
namespace {

using namespace std::chrono_literals;
using Verdict = RefreshPace::Verdict;
using Time = RefreshPace::Time;

const Time t0 = Time{} + 1h;

TEST(RefreshPace, ABurstThenOnePerInterval) {
    RefreshPace pace({3, 30s});
    for (int i = 0; i < 3; ++i) EXPECT_EQ(pace.take("c", 1, t0), Verdict::allowed) << i;
    EXPECT_EQ(pace.take("c", 1, t0), Verdict::first_refused);
    EXPECT_EQ(pace.take("c", 1, t0 + 29s), Verdict::refused);
    EXPECT_EQ(pace.wait("c", 1, t0 + 29s), 1s);
    EXPECT_EQ(pace.take("c", 1, t0 + 30s), Verdict::allowed);
    EXPECT_EQ(pace.take("c", 1, t0 + 31s), Verdict::first_refused);  // a new run of refusals
    EXPECT_EQ(pace.wait("c", 1, t0 + 31s), 29s);
    // Unused, the budget fills up again to the burst, no further.
    const Time later = t0 + 1h;
    EXPECT_EQ(pace.wait("c", 1, later), 0s);
    for (int i = 0; i < 3; ++i) EXPECT_EQ(pace.take("c", 1, later), Verdict::allowed) << i;
    EXPECT_NE(pace.take("c", 1, later), Verdict::allowed);
}

TEST(RefreshPace, EachCallerAndEachCredentialHasItsOwnBudget) {
    RefreshPace pace({1, 60s});
    const std::string demo("alice\0demo\0", 11);
    EXPECT_EQ(pace.take(demo, 1001, t0), Verdict::allowed);
    EXPECT_NE(pace.take(demo, 1001, t0), Verdict::allowed);
    EXPECT_EQ(pace.take(demo, 1000, t0), Verdict::allowed);                             // the owner
    EXPECT_EQ(pace.take(demo, (std::uint64_t{1} << 32) | 1001, t0), Verdict::allowed);  // 1001's subordinate uids
    EXPECT_EQ(pace.take(std::string("alice\0corp\0", 11), 1001, t0), Verdict::allowed);
}

TEST(RefreshPace, ZeroIntervalIsUnpaced) {
    RefreshPace pace({1, 0s});
    for (int i = 0; i < 100; ++i) EXPECT_EQ(pace.take("c", 1, t0), Verdict::allowed);
    EXPECT_EQ(pace.wait("c", 1, t0), 0s);
    EXPECT_EQ(pace.keys(), 0U);
}

TEST(RefreshPace, KeysWhoseBudgetIsFullAgainAreForgotten) {
    RefreshPace pace({2, 10s});
    for (std::uint64_t a = 0; a < 1023; ++a) pace.take("c", a, t0);
    EXPECT_EQ(pace.keys(), 1023U);
    // At 1,024 keys a take sweeps: those full again by then go.
    pace.take("c", 5000, t0 + 5s);
    pace.take("c", 5001, t0 + 11s);
    EXPECT_EQ(pace.keys(), 2U);
}

// With more pairs still refilling than the map holds, a new one is refused
// as full (logged once), and admitted once time has refilled some.
TEST(RefreshPace, AtTheCapANewKeyIsRefusedUntilTimeMakesRoom) {
    RefreshPace pace({1, 10s});
    for (std::uint64_t a = 0; a < RefreshPace::k_max_keys; ++a) {
        ASSERT_EQ(pace.take("c", a, t0 + std::chrono::milliseconds(a / 8)), Verdict::allowed) << a;
    }
    EXPECT_EQ(pace.keys(), RefreshPace::k_max_keys);
    EXPECT_EQ(pace.take("c", 1U << 20, t0 + 8s), Verdict::first_full);
    EXPECT_EQ(pace.take("c", (1U << 20) + 1, t0 + 8s), Verdict::full);
    EXPECT_EQ(pace.take("c", 0, t0 + 8s), Verdict::first_refused);  // a key already there is judged as before
    // Ten seconds after the first half was charged, its budgets are full again.
    EXPECT_EQ(pace.take("c", 1U << 20, t0 + 14s), Verdict::allowed);
    EXPECT_LT(pace.keys(), RefreshPace::k_max_keys);
    EXPECT_GT(pace.keys(), RefreshPace::k_max_keys / 4);
}

// The first take after a start is at the configured interval; a shorter
// one learned from the provider's answer refills that time too.
TEST(RefreshPace, ALifetimeLearnedAfterATakeRefillsAtTheShorterInterval) {
    RefreshPace pace({1, 30s});
    EXPECT_EQ(pace.take("c", 1, t0), Verdict::allowed);
    pace.learn("c", 8s);
    EXPECT_EQ(pace.take("c", 1, t0 + 3s), Verdict::first_refused);
    EXPECT_EQ(pace.take("c", 1, t0 + 4s), Verdict::allowed);
}

TEST(RefreshPace, TheIntervalIsHalfTheLearnedLifetimeWhenShorter) {
    RefreshPace pace({1, 30s});
    EXPECT_EQ(pace.interval("c"), 30s);  // nothing learned: the setting
    pace.learn("c", 8s);
    EXPECT_EQ(pace.interval("c"), 4s);
    pace.learn("c", 1s);
    EXPECT_EQ(pace.interval("c"), 1s);  // at least a second
    pace.learn("c", 3600s);
    EXPECT_EQ(pace.interval("c"), 30s);
    EXPECT_EQ(pace.interval("d"), 30s);
}

// TokenService with a budget of 2 refreshes, then one per minute, over a
// login whose access token lives 100 s more; the provider's tokens live
// 1000 s unless a test says otherwise.
class TokenPaceTest : public test::FakeSeamsTest {
protected:
    static constexpr std::uint64_t k_owner = 1000;
    static constexpr std::uint64_t k_other = 1001;

    void SetUp() override {
        ASSERT_NO_FATAL_FAILURE(FakeSeamsTest::SetUp());
        auto options = credctl::test::unreachable_provider_options();
        options.pace = {2, 60s};
        service_.emplace(io_, *lmdb_, options, TokenServiceSeams{upstream_, clock_});
        store_login(*service_, 100s);
    }
    boost::asio::awaitable<void> call(std::optional<Result<wire::AccessToken>>* answer, std::chrono::seconds min_valid,
                                      std::optional<std::uint64_t> caller, std::vector<std::string> scopes) {
        *answer = co_await service_->token(key_, min_valid, std::move(scopes), {}, caller);
    }
    // One call of token(), the provider answering `script` if asked.
    Result<wire::AccessToken> ask(std::chrono::seconds min_valid, std::optional<std::uint64_t> caller,
                                  std::vector<std::string> scopes = {},
                                  const test::Script& script = test::answer_tokens("AT-new", "", 1000)) {
        std::optional<Result<wire::AccessToken>> answer;
        spawn(call(&answer, min_valid, caller, std::move(scopes)));
        if (!answer && upstream_.held() == 1) {
            upstream_.release(script);
            settle();
        }
        EXPECT_TRUE(answer.has_value());
        return answer ? std::move(*answer) : make_error(Errc::internal, "no answer");
    }

    std::optional<TokenService> service_;
};

TEST_F(TokenPaceTest, AMinValidBeyondEveryLifetimeRefreshesOnlyTheBurst) {
    for (int i = 0; i < 10; ++i) {
        auto t = ask(3600s, k_other);
        ASSERT_TRUE(t) << i << ": " << t.error().message;
        // Over the budget: the token refreshed last, shorter than asked.
        EXPECT_EQ(t->access_token.reveal(), "AT-new") << i;
    }
    EXPECT_EQ(upstream_.calls, 2);
    // Another caller has a budget of its own.
    ASSERT_TRUE(ask(3600s, k_owner));
    EXPECT_EQ(upstream_.calls, 3);
    // A minute on, one more.
    clock_.advance(60s);
    ASSERT_TRUE(ask(3600s, k_other));
    ASSERT_TRUE(ask(3600s, k_other));
    EXPECT_EQ(upstream_.calls, 4);
}

TEST_F(TokenPaceTest, ANewScopeSetOverTheBudgetIsRefusedWithoutAskingTheProvider) {
    ASSERT_TRUE(ask(60s, k_other, {"a"}));
    ASSERT_TRUE(ask(60s, k_other, {"b"}));
    auto t = ask(60s, k_other, {"c"});
    ASSERT_FALSE(t);
    EXPECT_EQ(t.error().code, Errc::too_many_requests);
    EXPECT_NE(t.error().message.find("too many refreshes of credentials/alice/demo"), std::string::npos)
        << t.error().message;
    EXPECT_NE(t.error().message.find("ask again in 60 s"), std::string::npos) << t.error().message;
    EXPECT_EQ(upstream_.calls, 2);
    // A set already cached is still served from the cache.
    auto a = ask(60s, k_other, {"a"});
    ASSERT_TRUE(a);
    EXPECT_EQ(upstream_.calls, 2);
}

TEST_F(TokenPaceTest, FailedRefreshesAreChargedToo) {
    for (int i = 0; i < 2; ++i) {
        auto t = ask(60s, k_other, {"bogus"}, test::answer_error(Errc::bad_request, "invalid_scope"));
        ASSERT_FALSE(t);
        EXPECT_EQ(t.error().code, Errc::bad_request);
    }
    auto t = ask(60s, k_other, {"bogus"});
    ASSERT_FALSE(t);
    EXPECT_EQ(t.error().code, Errc::too_many_requests);
    EXPECT_EQ(upstream_.calls, 2);
}

TEST_F(TokenPaceTest, ANewLoginDoesNotGiveTheBudgetBack) {
    ASSERT_TRUE(ask(3600s, k_other));
    ASSERT_TRUE(ask(3600s, k_other));
    store_login(*service_, 100s, key_, "RT-1", "AT-1");
    auto t = ask(3600s, k_other);
    ASSERT_TRUE(t);
    EXPECT_EQ(t->access_token.reveal(), "AT-1");  // the login's, not a refresh
    EXPECT_EQ(upstream_.calls, 2);
}

TEST_F(TokenPaceTest, OverTheBudgetWithNothingValidTheCallerIsToldWhen) {
    const auto short_lived = test::answer_tokens("AT-new", "", 10);
    ASSERT_TRUE(ask(3600s, k_other, {}, short_lived));
    ASSERT_TRUE(ask(3600s, k_other, {}, short_lived));
    // Both tokens have expired, and the budget is back: the interval is
    // 5 s, half the tokens' lifetime.
    clock_.advance(11s);
    ASSERT_TRUE(ask(60s, k_other, {"a"}, short_lived));
    ASSERT_TRUE(ask(60s, k_other, {"b"}, short_lived));
    EXPECT_EQ(upstream_.calls, 4);
    for (const auto& scopes : {std::vector<std::string>{"c"}, std::vector<std::string>{}}) {
        auto t = ask(60s, k_other, scopes);
        ASSERT_FALSE(t);
        EXPECT_EQ(t.error().code, Errc::too_many_requests);
        EXPECT_NE(t.error().message.find("then one every 5 s"), std::string::npos) << t.error().message;
        EXPECT_NE(t.error().message.find("ask again in 5 s"), std::string::npos) << t.error().message;
    }
    EXPECT_EQ(upstream_.calls, 4);
}

// A provider whose tokens live 8 s and a caller asking every second for
// 60 s more (the default min_valid): over the budget, each token is still
// refreshed before it expires, and the caller is never refused.
TEST_F(TokenPaceTest, TokensShorterThanTheIntervalAreRefreshedBeforeTheyExpire) {
    const auto short_lived = test::answer_tokens("AT-new", "", 8);
    store_login(*service_, 8s, key_, "RT-1", "AT-1");
    for (int second = 0; second < 60; ++second) {
        auto t = ask(60s, k_other, {}, short_lived);
        ASSERT_TRUE(t) << second << ": " << t.error().message;
        EXPECT_GE(t->expires_at - clock_.now_epoch_seconds(), 4) << second;
        clock_.advance(1s);
    }
    // The burst, then one every 4 s.
    EXPECT_GE(upstream_.calls, 15);
    EXPECT_LE(upstream_.calls, 17);
}

TEST_F(TokenPaceTest, WithoutACallerNothingIsPaced) {
    for (int i = 0; i < 5; ++i) ASSERT_TRUE(ask(3600s, std::nullopt));
    EXPECT_EQ(upstream_.calls, 5);
}

}  // namespace
}  // namespace credctl::tokens
