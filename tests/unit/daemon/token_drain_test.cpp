// TokenService::stop() with a drain: how long the refreshes a stop waits
// for can still take, told at the stop for those under way and again for
// each that starts later (credd passes it to systemd, credd(8)). A real
// LmdbStore, a fake upstream that holds each refresh until the test answers
// it, and a fake clock (token_fakes.hpp).
#include "daemon/tokens/token_service.hpp"
#include "support/run_now.hpp"
#include "token_fakes.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <optional>
#include <vector>

namespace credctl::tokens {
namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;

// retry_deadline 40 s, connect 3 s, one exchange 7 s, and 10 s for the store
// steps: 60 s.
constexpr std::chrono::seconds k_longest_refresh = 60s;

class TokenDrainTest : public test::FakeSeamsTest {
protected:
    void SetUp() override {
        ASSERT_NO_FATAL_FAILURE(FakeSeamsTest::SetUp());
        ProviderConfig p = credctl::test::unreachable_provider();
        p.retry_deadline = 40s;
        p.connect_timeout = 3s;
        p.timeout = 7s;
        service_ = std::make_unique<TokenService>(io_, *lmdb_, TokenServiceOptions{{p}, 5s},
                                                  TokenServiceSeams{upstream_, clock_});
    }

    asio::awaitable<void> ask(std::optional<Result<wire::AccessToken>>* answer) {
        *answer = co_await service_->token(key_, 60s);
    }
    void stop() {
        service_->stop([this](std::chrono::seconds longest) { told_.push_back(longest); });
    }

    std::unique_ptr<TokenService> service_;
    std::vector<std::chrono::seconds> told_;
};

TEST_F(TokenDrainTest, AStopWithARefreshUnderWaySaysHowLongItCanTake) {
    store_login(*service_, -1s);
    std::optional<Result<wire::AccessToken>> answer;
    spawn(ask(&answer));
    ASSERT_EQ(upstream_.held(), 1U);

    stop();
    EXPECT_EQ(told_, std::vector{k_longest_refresh});

    upstream_.release(test::answer_tokens("AT-1", "RT-1", 3600));
    settle();
    ASSERT_TRUE(answer.has_value()) << "the refresh under way was not finished";
    ASSERT_TRUE(answer->has_value()) << answer->error().message;
    EXPECT_EQ((*answer)->access_token.reveal(), "AT-1");
    EXPECT_EQ(told_.size(), 1U) << "told again without a new refresh";
}

TEST_F(TokenDrainTest, ARefreshThatStartsDuringTheStopSaysSoToo) {
    store_login(*service_, -1s);
    stop();
    EXPECT_TRUE(told_.empty()) << "told of a refresh that is not under way";

    std::optional<Result<wire::AccessToken>> answer;
    spawn(ask(&answer));
    ASSERT_EQ(upstream_.held(), 1U);
    EXPECT_EQ(told_, std::vector{k_longest_refresh});
    upstream_.release(test::answer_error(Errc::provider_unavailable, "503"));
    settle();
    ASSERT_TRUE(answer.has_value());
    EXPECT_FALSE(answer->has_value());
}

TEST_F(TokenDrainTest, ACachedAnswerDuringTheStopSaysNothing) {
    store_login(*service_, 3600s);
    stop();
    std::optional<Result<wire::AccessToken>> answer;
    spawn(ask(&answer));
    ASSERT_TRUE(answer.has_value());
    ASSERT_TRUE(answer->has_value()) << answer->error().message;
    EXPECT_EQ(upstream_.calls, 0);
    EXPECT_TRUE(told_.empty());
}

}  // namespace
}  // namespace credctl::tokens
