// TokenService's fleet-wide single flight (daemon/tokens/fleet_refresh.cpp)
// over two real EtcdStores that follow the store's changes (a real etcd,
// etcd_fixture.hpp), standing for two hosts: a host waiting on the other's
// refresh is woken by the holder's commit arriving on its watch, not at its
// next look at the lock.
#include "daemon/store/etcd_store.hpp"
#include "daemon/store/store_runner.hpp"
#include "daemon/tokens/token_service.hpp"
#include "support/etcd_fixture.hpp"
#include "support/holding_proxy.hpp"
#include "support/run_now.hpp"
#include "support/temp_store.hpp"
#include "token_fakes.hpp"
#include "token_fleet_fixture.hpp"

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>

#include <chrono>
#include <cstdlib>
#include <optional>
#include <thread>

namespace credctl::tokens {
namespace {

namespace asio = boost::asio;
using std::chrono::milliseconds;
using std::chrono::seconds;
using SteadyClock = std::chrono::steady_clock;
using test::TokenFleetEtcdTest;

TEST_F(TokenFleetEtcdTest, AWaitingHostIsWokenByTheHoldersCommitNotItsNextLookAtTheLock) {
    Answer on_a, on_b;
    asio::co_spawn(io_, ask(&a_, &on_a), asio::detached);
    for (int i = 0; i < 100 && a_.upstream.held() == 0; ++i) run(milliseconds(10));
    ASSERT_EQ(a_.upstream.held(), 1u) << "A's refresh did not reach the provider";

    asio::co_spawn(io_, ask(&b_, &on_b), asio::detached);
    // B looks at the lock after 20, 60, 140, 300, 620 and 1120 ms, then
    // every 500 ms. Released just after one of those looks (B's store makes
    // a call), A's refresh would reach B ~500 ms later by looking alone.
    run(milliseconds(1500));
    ASSERT_FALSE(on_b.has_value()) << "B answered while A's refresh was in flight";
    EXPECT_EQ(b_.upstream.calls, 0);
    const auto looks = b_.store->client().calls();
    for (int i = 0; i < 500 && b_.store->client().calls() == looks; ++i) run(milliseconds(2));
    ASSERT_GT(b_.store->client().calls(), looks) << "B stopped looking at the lock";

    const auto released = SteadyClock::now();
    a_.upstream.release(test::answer_tokens("AT-1", "RT-1", 3600));
    while (!on_b.has_value() && SteadyClock::now() - released < seconds(3)) run(milliseconds(5));
    const auto waited = std::chrono::duration_cast<milliseconds>(SteadyClock::now() - released);
    ASSERT_TRUE(on_b.has_value() && on_b->has_value()) << (on_b ? on_b->error().message : "no answer");
    EXPECT_EQ((*on_b)->access_token.reveal(), "AT-1");
    EXPECT_EQ(b_.upstream.calls, 0) << "B refreshed too";
    EXPECT_LT(waited, milliseconds(300)) << "B was answered " << waited.count()
                                         << " ms after A's refresh: at its next look at the lock, not by the watch";
}

// A lock and mark whose answer was lost (store::RefreshLock::settle()): host
// A reaches etcd through a proxy that keeps the transaction back and answers
// nothing, so A's caller is answered with the error and nothing is sent to
// the provider. The mark lands later (the test sends the kept transaction to
// etcd, as a member without quorum that accepted the proposal commits it
// once quorum returns). Its landing reaches A through A's watch, and A
// undoes it with no further request: the fleet is not left with a pending
// mark that it would have to take for an interrupted refresh.
class TokenLostMarkTest : public credctl::test::EtcdFixture {
protected:
    void SetUp() override {
        EtcdFixture::SetUp();
        const std::string url = etcd_.url();
        proxy_.emplace(std::atoi(url.substr(url.rfind(':') + 1).c_str()));
        etcd::ClientOptions o;
        o.endpoints = {proxy_->url()};
        o.request_timeout = milliseconds(1000);
        auto client = etcd::EtcdClient::create(o);
        ASSERT_TRUE(client) << client.error().message;
        auto st =
            store::EtcdStore::open(std::move(*client), "/credd/", store::Sealer(credctl::test::key_of(1)), seconds(10));
        ASSERT_TRUE(st) << st.error().message;
        a_ = std::move(*st);
        etcd::ClientOptions watched;
        watched.endpoints = {url};
        ASSERT_TRUE(a_->follow_changes(watched));
        for (int i = 0; i < 100 && !a_->take().everything; ++i) std::this_thread::sleep_for(milliseconds(50));
        b_ = host();
        if (own_thread_) {
            runner_.emplace(*a_, store::StorePlacement::own_thread);
            ASSERT_NO_FATAL_FAILURE(test::serve_expired_login(io_, *runner_, upstream_, clock_, key_, service_));
        } else {
            ASSERT_NO_FATAL_FAILURE(test::serve_expired_login(io_, *a_, upstream_, clock_, key_, service_));
        }
        // The login's own change has come back through A's watch: no change
        // is on its way when a test begins.
        bool reported = false;
        for (int i = 0; i < 100 && !reported; ++i) {
            reported = !a_->take().keys.empty();
            if (!reported) std::this_thread::sleep_for(milliseconds(20));
        }
        ASSERT_TRUE(reported) << "A's watch did not report the login";
    }
    void TearDown() override {
        io_.stop();
        service_.reset();
        runner_.reset();
    }
    asio::awaitable<void> ask(std::optional<Result<wire::AccessToken>>* out) {
        *out = co_await service_->token(key_, seconds(60), {}, milliseconds::zero());
    }
    void run(milliseconds d) {
        io_.restart();
        io_.run_for(d);
    }
    // A caller's refresh whose lock and mark the proxy keeps back: the
    // caller is answered with the error, and nothing reaches the provider.
    // `land_first`: the test sends the kept mark to etcd while A's call
    // still waits for its answer (with the store on its own thread).
    void lose_a_mark(bool land_first = false) {
        std::optional<Result<wire::AccessToken>> answer;
        proxy_->hold(true);
        asio::co_spawn(io_, ask(&answer), asio::detached);
        bool landed = false;
        for (int i = 0; i < 300 && !answer; ++i) {
            run(milliseconds(10));
            if (land_first && !landed && !proxy_->held().empty()) {
                auto txn = etcd_.client()->txn(proxy_->held().front());
                ASSERT_TRUE(txn && txn->succeeded) << "the kept mark did not apply";
                landed = true;
                proxy_->hold(false);  // what follows the mark passes
            }
        }
        proxy_->hold(false);
        EXPECT_EQ(landed, land_first);
        ASSERT_TRUE(answer.has_value()) << "no answer";
        ASSERT_FALSE(answer->has_value()) << "a token through a proxy that answers nothing";
        EXPECT_EQ(answer->error().code, Errc::provider_unavailable);
        EXPECT_EQ(upstream_.calls, 0) << "the refresh token was sent on a mark that was not answered";
        ASSERT_EQ(proxy_->held().size(), 1u);
        if (!land_first) {
            ASSERT_TRUE(as_before());
        }
    }
    // The record as B reads it: as stored by the login, no lock on it.
    bool as_before() {
        auto now = b_->get(key_);
        auto locked = b_->locked(key_);
        return now && *now && (*now)->state == store::CredentialState::valid &&
               (*now)->access_token.reveal() == "AT-0" && locked && !*locked;
    }

    asio::io_context io_;
    test::FakeClock clock_;
    test::FakeUpstream upstream_;
    std::optional<credctl::test::HoldingProxy> proxy_;
    std::unique_ptr<store::EtcdStore> a_;
    std::unique_ptr<store::EtcdStore> b_;
    bool own_thread_ = false;  // TokenService's store calls on a store thread, as in credd
    std::optional<store::StoreRunner> runner_;
    std::optional<TokenService> service_;
    store::CredentialKey key_{"alice", "demo"};
};

class TokenLostMarkOnAStoreThreadTest : public TokenLostMarkTest {
protected:
    TokenLostMarkOnAStoreThreadTest() { own_thread_ = true; }
};

TEST_F(TokenLostMarkTest, AMarkThatLandsAfterItsCallerWasAnsweredIsUndoneWhenItsChangeArrives) {
    ASSERT_NO_FATAL_FAILURE(lose_a_mark());

    auto landed = etcd_.client()->txn(proxy_->held().front());
    ASSERT_TRUE(landed && landed->succeeded) << "the kept mark did not apply";
    ASSERT_FALSE(as_before());
    const auto until = SteadyClock::now() + seconds(5);
    while (!as_before() && SteadyClock::now() < until) run(milliseconds(50));
    EXPECT_TRUE(as_before()) << "the mark that landed late was left pending, its lock held";
    EXPECT_EQ(upstream_.calls, 0);
}

// While no change arrives (a cluster without quorum commits nothing), the
// settling asks etcd nothing: it would hold the store thread for up to the
// request timeout in front of callers that need the store. The first change
// (here another credential's login through B) sets it off, and the fence
// it writes makes the kept mark fail when it arrives.
TEST_F(TokenLostMarkTest, ALostMarkIsFencedAtTheFirstChangeAndNotBefore) {
    ASSERT_NO_FATAL_FAILURE(lose_a_mark());
    const auto calls = a_->client().calls();
    run(milliseconds(1500));
    EXPECT_EQ(a_->client().calls(), calls) << "etcd was asked while no change had arrived";

    store::CredentialRecord other;
    other.subject = "bob";
    ASSERT_TRUE(b_->put({"bob", "demo"}, other, SecretBytes::from("RT-bob")));
    const auto until = SteadyClock::now() + seconds(5);
    while (a_->client().calls() == calls && SteadyClock::now() < until) run(milliseconds(20));
    ASSERT_GT(a_->client().calls(), calls) << "the change did not set the settling off";
    run(milliseconds(200));  // the fence's answer reaches A
    auto late = etcd_.client()->txn(proxy_->held().front());
    ASSERT_TRUE(late) << late.error().message;
    EXPECT_FALSE(late->succeeded) << "the kept mark landed after the fence";
    EXPECT_TRUE(as_before());
}

// The mark lands while A's call still waits for its answer (the cluster
// commits it just before the call's deadline): its change reaches A's feed
// before the caller is answered. That change counts: A undoes the mark with
// no further change and no further request.
TEST_F(TokenLostMarkOnAStoreThreadTest, AMarkThatLandsBeforeItsCallGivesUpIsUndoneWithoutAnotherChange) {
    ASSERT_NO_FATAL_FAILURE(lose_a_mark(true));
    const auto until = SteadyClock::now() + seconds(5);
    while (!as_before() && SteadyClock::now() < until) run(milliseconds(50));
    EXPECT_TRUE(as_before()) << "the mark that landed before its call gave up was left pending, its lock held";
    EXPECT_EQ(upstream_.calls, 0);
}

// stop() (credd's shutdown) ends a settling that waits for a change: the
// I/O loop runs out of work instead of waiting for a change that may never
// come.
TEST_F(TokenLostMarkTest, StopEndsASettlingThatWaitsSoTheLoopRunsOutOfWork) {
    ASSERT_NO_FATAL_FAILURE(lose_a_mark());
    auto began = SteadyClock::now();
    run(milliseconds(300));
    ASSERT_GE(SteadyClock::now() - began, milliseconds(300)) << "nothing was waiting";
    service_->stop();
    began = SteadyClock::now();
    run(seconds(3));
    EXPECT_LT(SteadyClock::now() - began, seconds(1)) << "the loop still had work after stop()";
}

}  // namespace
}  // namespace credctl::tokens
