// TokenService's hooks into credd's metrics: token answers by source and
// refreshes by provider and outcome, with their duration on the service's
// clock. Driven step by step with the fakes of token_fakes.hpp over a real
// LmdbStore, as in token_flight_test.cpp.
#include "daemon/metrics/daemon_metrics.hpp"
#include "daemon/store/lmdb_store.hpp"
#include "daemon/tokens/token_service.hpp"
#include "token_fakes.hpp"

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>

#include <optional>

namespace credctl::tokens {
namespace {

namespace asio = boost::asio;
using metrics::RefreshOutcome;
using metrics::TokenSource;

class TokenMetricsTest : public test::FakeSeamsTest {
protected:
    void SetUp() override {
        ASSERT_NO_FATAL_FAILURE(FakeSeamsTest::SetUp());
        auto options = credctl::test::unreachable_provider_options();
        options.metrics = metrics_;
        service_ =
            std::make_unique<TokenService>(io_, *lmdb_, std::move(options), TokenServiceSeams{upstream_, clock_});
        store_login(*service_, std::chrono::seconds(600));
    }

    asio::awaitable<void> ask(std::optional<Result<wire::AccessToken>>* out, std::chrono::seconds min_valid) {
        *out = co_await service_->token(key_, min_valid);
    }
    // Asks for a token valid for `min_valid` and runs what is ready.
    std::optional<Result<wire::AccessToken>>& start(std::chrono::seconds min_valid) {
        auto& out = answers_.emplace_back();
        spawn(ask(&out, min_valid));
        return out;
    }

    std::shared_ptr<metrics::DaemonMetrics> metrics_ = std::make_shared<metrics::DaemonMetrics>();
    std::unique_ptr<TokenService> service_;
    std::list<std::optional<Result<wire::AccessToken>>> answers_;
};

TEST_F(TokenMetricsTest, TokensFromTheStoreOrCacheAndFromARefreshAreCountedApart) {
    for (int i = 0; i < 3; ++i) ASSERT_TRUE(start(std::chrono::seconds(60)).value().has_value());
    EXPECT_EQ(metrics_->tokens_answered(TokenSource::cache), 3U);
    EXPECT_EQ(metrics_->tokens_answered(TokenSource::refresh), 0U);

    auto& first = start(std::chrono::seconds(3600));
    auto& joined = start(std::chrono::seconds(3600));
    ASSERT_EQ(upstream_.held(), 1U);
    clock_.advance(std::chrono::seconds(2));
    upstream_.release(test::answer_tokens("AT-1", "RT-1", 7200));
    settle();
    ASSERT_TRUE(first.value().has_value());
    ASSERT_TRUE(joined.value().has_value());
    EXPECT_EQ(metrics_->tokens_answered(TokenSource::refresh), 2U) << "both waiters of the one refresh";
    EXPECT_EQ(metrics_->refreshes("demo", RefreshOutcome::ok), 1U);
    const std::string text = metrics_->render({});
    EXPECT_NE(text.find("credd_refresh_duration_seconds_bucket{provider=\"demo\",le=\"1\"} 0\n"), std::string::npos)
        << text;
    EXPECT_NE(text.find("credd_refresh_duration_seconds_bucket{provider=\"demo\",le=\"2.5\"} 1\n"), std::string::npos)
        << text;
    EXPECT_NE(text.find("credd_refresh_duration_seconds_sum{provider=\"demo\"} 2\n"), std::string::npos) << text;
}

TEST_F(TokenMetricsTest, WhatTheCacheGivesWithoutWaitingIsCountedAsAnAnswerFromIt) {
    const auto now = service_->cached(key_, std::chrono::seconds(60), {});
    ASSERT_TRUE(now);
    EXPECT_EQ(metrics_->tokens_answered(TokenSource::cache), 1U);
    // Good for 600 s, not for 3600: token() would refresh; cached() starts nothing.
    EXPECT_FALSE(service_->cached(key_, std::chrono::seconds(3600), {}));
    EXPECT_FALSE(service_->cached(key_, std::chrono::seconds(60), {"narrower"})) << "a scope set is cached apart";
    settle();
    EXPECT_EQ(upstream_.held(), 0U);
    EXPECT_EQ(metrics_->tokens_answered(TokenSource::cache), 1U);
    auto& refreshed = start(std::chrono::seconds(3600));
    ASSERT_EQ(upstream_.held(), 1U);
    upstream_.release(test::answer_tokens("AT-1", "RT-1", 7200));
    settle();
    ASSERT_TRUE(refreshed.value().has_value());
    const auto after = service_->cached(key_, std::chrono::seconds(3600), {});
    ASSERT_TRUE(after);
    EXPECT_EQ(after->access_token.reveal(), "AT-1");
}

TEST_F(TokenMetricsTest, ARejectedRefreshIsCountedAsInvalidGrantAndAFailedOneByItsKind) {
    auto& rejected = start(std::chrono::seconds(3600));
    upstream_.release(test::answer_error(Errc::login_required, "invalid_grant"));
    settle();
    ASSERT_FALSE(rejected.value().has_value());
    EXPECT_EQ(metrics_->refreshes("demo", RefreshOutcome::invalid_grant), 1U);
    EXPECT_EQ(metrics_->tokens_answered(TokenSource::refresh), 0U) << "no token, no answer counted";

    ASSERT_TRUE(credctl::test::run_now(io_, service_->store_login(key_, {SecretBytes::from("RT-2"), {}, 0, "", "", ""}))
                    .has_value());
    auto& timed_out = start(std::chrono::seconds(60));
    upstream_.release(test::answer_error(Errc::provider_unavailable, "reading the response (timed out)"));
    settle();
    ASSERT_FALSE(timed_out.value().has_value());
    EXPECT_EQ(metrics_->refreshes("demo", RefreshOutcome::timed_out), 1U);
    EXPECT_EQ(metrics_->refreshes("demo", RefreshOutcome::ok), 0U);
}

}  // namespace
}  // namespace credctl::tokens
