// KeepAlive (daemon/tokens/keep_alive.hpp): when a credential left alone is
// refreshed, how a crowd of them is spread, and which are never touched.
// A real LmdbStore, TokenService with a fake upstream that holds each
// refresh until the test answers it, and a fake clock the test advances one
// second at a time (token_fakes.hpp); no sleeps.
#include "daemon/tokens/keep_alive.hpp"

#include "daemon/store/lmdb_store.hpp"
#include "daemon/store/store_runner.hpp"
#include "daemon/tokens/token_service.hpp"
#include "token_fakes.hpp"

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>

#include <map>
#include <optional>
#include <set>
#include <string>

namespace credctl::tokens {
namespace {

namespace asio = boost::asio;
using std::chrono::hours;
using std::chrono::milliseconds;
using std::chrono::minutes;
using std::chrono::seconds;
using test::answer_error;
using test::answer_tokens;

constexpr std::int64_t k_t0 = 1'000'000'000;  // a refresh time, epoch seconds

// The real store, whose get() fails with `code` for the users in `failing`;
// counts the reads.
class FailingReads final : public test::ForwardingStore {
public:
    FailingReads(store::Store& inner, Errc code, std::set<std::string> failing)
        : ForwardingStore(inner), code_(code), failing_(std::move(failing)) {}
    int gets = 0;

    Result<std::optional<store::CredentialRecord>> get(const store::CredentialKey& k) override {
        ++gets;
        if (failing_.contains(k.user)) return make_error(code_, "store: credential credentials/" + k.user + "/demo");
        return ForwardingStore::get(k);
    }

private:
    Errc code_;
    std::set<std::string> failing_;
};

TEST(KeepAlive, TimingIsATenthOfThePeriodWithinBounds) {
    const auto week = keep_alive_timing(hours(24 * 7));
    EXPECT_EQ(week.window, hours(1));
    EXPECT_EQ(week.scan_every, minutes(10));
    const auto short_period = keep_alive_timing(seconds(20));
    EXPECT_EQ(short_period.window, seconds(2));
    EXPECT_EQ(short_period.scan_every, seconds(2));
    const auto tiny = keep_alive_timing(seconds(3));
    EXPECT_EQ(tiny.window, milliseconds(300));
    EXPECT_EQ(tiny.scan_every, seconds(1));
}

TEST(KeepAlive, NotDueBeforeTheLastTenthOfThePeriodLessOneScan) {
    const seconds period = hours(24 * 7);
    const std::int64_t latest_ms = (k_t0 + period.count()) * 1000;
    const std::int64_t earliest_ms = latest_ms - hours(1) / milliseconds(1);
    const std::int64_t scan_ms = minutes(10) / milliseconds(1);
    EXPECT_EQ(keep_alive_due_ms(k_t0, period, k_t0 * 1000, 0.5), std::nullopt);
    EXPECT_EQ(keep_alive_due_ms(k_t0, period, earliest_ms - scan_ms - 1, 0.5), std::nullopt);
    EXPECT_EQ(keep_alive_due_ms(k_t0, period, earliest_ms - scan_ms, 0.0), earliest_ms);
}

TEST(KeepAlive, DueTimesSpreadOverTheWindowAndNeverPastThePeriod) {
    const seconds period = hours(24 * 7);
    const std::int64_t latest_ms = (k_t0 + period.count()) * 1000;
    const std::int64_t window_ms = hours(1) / milliseconds(1);
    const std::int64_t now = latest_ms - window_ms - 1000;
    EXPECT_EQ(keep_alive_due_ms(k_t0, period, now, 0.0), latest_ms - window_ms);
    EXPECT_EQ(keep_alive_due_ms(k_t0, period, now, 0.5), latest_ms - window_ms / 2);
    EXPECT_EQ(keep_alive_due_ms(k_t0, period, now, 0.999999), latest_ms - 4);
    EXPECT_EQ(keep_alive_due_ms(k_t0, period, now, 1.0), latest_ms);  // a bad draw is clamped
}

TEST(KeepAlive, ALateCredentialIsSpreadOverAWindowFromNow) {
    const seconds period = hours(24 * 7);
    const std::int64_t now = (k_t0 + 30 * 24 * 3600) * 1000;  // found after a month off
    EXPECT_EQ(keep_alive_due_ms(k_t0, period, now, 0.0), now);
    EXPECT_EQ(keep_alive_due_ms(k_t0, period, now, 0.25), now + hours(1) / milliseconds(1) / 4);
}

class KeepAliveTest : public test::FakeSeamsTest {
protected:
    static constexpr seconds k_period{100};  // window 10 s, a scan every 10 s

    void SetUp() override {
        ASSERT_NO_FATAL_FAILURE(FakeSeamsTest::SetUp());
        auto demo = credctl::test::unreachable_provider();
        demo.keep_alive = k_period;
        auto plain = credctl::test::unreachable_provider();
        plain.name = "plain";  // no keep-alive
        providers_ = {demo, plain};
        tokens_ = std::make_unique<TokenService>(io_, *lmdb_, TokenServiceOptions{providers_, seconds(5)},
                                                 TokenServiceSeams{upstream_, clock_});
    }
    void TearDown() override {
        keep_alive_.reset();
        io_.stop();
        tokens_.reset();
    }

    void login(const store::CredentialKey& key) {
        store_login(*tokens_, hours(1), key, "RT-" + key.user, "AT-" + key.user);
    }
    void start(
        KeepAlive::Draw draw = [] { return 0.5; }, store::Store* scanned = nullptr) {
        if (scanned != nullptr)
            scanned_ = std::make_unique<store::StoreRunner>(*scanned, store::StorePlacement::caller);
        keep_alive_ = std::make_unique<KeepAlive>(io_, *tokens_, scanned_ ? *scanned_ : tokens_->runner(), clock_,
                                                  providers_, std::move(draw));
        keep_alive_->start();
        settle();
    }
    // Advances the clock one second at a time, letting everything due run.
    void step(int n) {
        for (int i = 0; i < n; ++i) {
            clock_.advance(seconds(1));
            settle();
        }
    }
    // alice logs in, the keep-alive starts, and its refresh of her
    // credential (due at 95 s) is answered by `script`.
    void answer_first_refresh(test::Script script) {
        login(alice_);
        start();
        step(95);
        ASSERT_EQ(upstream_.calls, 1);
        upstream_.release(std::move(script));
        settle();
    }
    // Answers every held refresh with a new access token (rotated).
    void answer_all() {
        while (upstream_.held() > 0) upstream_.release(answer_tokens("AT-new", "RT-new", 3600));
        settle();
    }
    store::CredentialRecord record(const store::CredentialKey& k) { return **lmdb_->get(k); }

    std::vector<ProviderConfig> providers_;
    std::unique_ptr<TokenService> tokens_;
    std::unique_ptr<store::StoreRunner> scanned_;  // a store of the test's own to scan
    std::unique_ptr<KeepAlive> keep_alive_;
    const store::CredentialKey alice_ = key_;
};

TEST_F(KeepAliveTest, RefreshesACredentialLeftAloneWithinTheLastTenthOfItsPeriod) {
    login(alice_);
    const std::int64_t logged_in = clock_.now_epoch_seconds();
    start();
    step(89);
    EXPECT_EQ(upstream_.calls, 0) << "refreshed before the window";
    int waited = 89;
    while (upstream_.calls == 0 && waited < 120) {
        step(1);
        ++waited;
    }
    EXPECT_EQ(upstream_.calls, 1);
    EXPECT_EQ(waited, 95) << "draw 0.5: the middle of the window [90 s, 100 s]";
    EXPECT_EQ(keep_alive_->started(), 1u);
    answer_all();
    const auto after = record(alice_);
    EXPECT_EQ(after.rotation, 1u);
    EXPECT_EQ(after.refreshed_at, logged_in + 95);
    EXPECT_EQ(after.access_token.reveal(), "AT-new");
    EXPECT_EQ(keep_alive_->scheduled(), 0u);
    // And again a period after that refresh, not before.
    step(89);
    EXPECT_EQ(upstream_.calls, 1);
    step(10);
    EXPECT_EQ(upstream_.calls, 2);
    EXPECT_EQ(upstream_.sent.back(), "RT-new");
}

TEST_F(KeepAliveTest, SpreadsCredentialsLoggedInTogetherOverTheWindow) {
    constexpr int k_users = 100;
    for (int i = 0; i < k_users; ++i) login({"user" + std::to_string(i), "demo"});
    int drawn = 0;
    start([&drawn] { return static_cast<double>(drawn++ % k_users) / k_users; });
    step(89);
    ASSERT_EQ(upstream_.calls, 0);
    std::map<int, int> per_second;
    for (int s = 90; s <= 100; ++s) {
        const int before = upstream_.calls;
        step(1);
        per_second[s] = upstream_.calls - before;
        answer_all();
    }
    EXPECT_EQ(upstream_.calls, k_users) << "every one refreshed within its period";
    for (const auto& [s, n] : per_second) EXPECT_LE(n, k_users / 10 + 1) << "at " << s << " s";
}

TEST_F(KeepAliveTest, NeverTouchesACredentialThatNeedsALogin) {
    login(alice_);
    auto r = record(alice_);
    r.state = store::CredentialState::login_required;
    ASSERT_TRUE(lmdb_->update(alice_, r).has_value());
    start();
    step(300);
    EXPECT_EQ(upstream_.calls, 0);
    EXPECT_EQ(keep_alive_->started(), 0u);
}

TEST_F(KeepAliveTest, NeverTouchesAProviderWithoutAPeriod) {
    login({"alice", "plain"});
    start();
    step(300);
    EXPECT_EQ(upstream_.calls, 0);
    EXPECT_EQ(keep_alive_->scheduled(), 0u);
}

TEST_F(KeepAliveTest, StopsAfterTheProviderRejectsTheRefreshToken) {
    ASSERT_NO_FATAL_FAILURE(answer_first_refresh(answer_error(Errc::login_required, "invalid_grant")));
    EXPECT_EQ(record(alice_).state, store::CredentialState::login_required);
    step(300);
    EXPECT_EQ(upstream_.calls, 1);
}

TEST_F(KeepAliveTest, TriesAgainAtTheNextScanAfterATransientFailure) {
    ASSERT_NO_FATAL_FAILURE(answer_first_refresh(answer_error(Errc::provider_unavailable, "503")));
    EXPECT_EQ(record(alice_).state, store::CredentialState::valid);
    step(20);  // the next scan finds it late: within a window from then
    EXPECT_EQ(upstream_.calls, 2);
    answer_all();
    EXPECT_EQ(record(alice_).rotation, 1u);
}

TEST_F(KeepAliveTest, DoesNothingForACredentialACallerRefreshedAfterItWasArmed) {
    login(alice_);
    start();
    step(85);  // armed at the scan of 80 s, due at 95 s
    ASSERT_EQ(keep_alive_->scheduled(), 1u);
    std::optional<Result<wire::AccessToken>> answer;
    asio::co_spawn(
        io_,
        [&]() -> asio::awaitable<void> {
            answer = co_await tokens_->token(alice_, seconds(7200), {}, milliseconds::zero());
        },
        asio::detached);
    settle();
    ASSERT_EQ(upstream_.calls, 1);
    answer_all();
    ASSERT_TRUE(answer && answer->has_value());
    step(15);
    EXPECT_EQ(keep_alive_->started(), 1u) << "its alarm rang";
    EXPECT_EQ(upstream_.calls, 1) << "but the caller's refresh kept it alive";
    EXPECT_EQ(keep_alive_->scheduled(), 0u);
}

TEST_F(KeepAliveTest, StopDisarmsEverything) {
    login(alice_);
    start();
    step(85);
    ASSERT_EQ(keep_alive_->scheduled(), 1u);
    keep_alive_->stop();
    EXPECT_EQ(keep_alive_->scheduled(), 0u);
    step(300);
    EXPECT_EQ(upstream_.calls, 0);
}

TEST_F(KeepAliveTest, ARecordThatDoesNotOpenIsSkippedAndTheOthersKeptAlive) {
    login(alice_);
    login({"bob", "demo"});
    FailingReads scanned(*lmdb_, Errc::internal, {"alice"});
    start([] { return 0.5; }, &scanned);
    step(95);
    ASSERT_EQ(upstream_.calls, 1);
    EXPECT_EQ(upstream_.sent.back(), "RT-bob");
    answer_all();
}

TEST_F(KeepAliveTest, AStoreThatDoesNotAnswerEndsTheScanAtItsFirstRead) {
    for (const char* user : {"alice", "bob", "carol"}) login({user, "demo"});
    FailingReads scanned(*lmdb_, Errc::provider_unavailable, {"alice", "bob", "carol"});
    start([] { return 0.5; }, &scanned);
    step(1);
    EXPECT_EQ(scanned.gets, 1);
    step(10);
    EXPECT_EQ(scanned.gets, 2) << "one read per scan";
}

}  // namespace
}  // namespace credctl::tokens
