// The etcd round trips of one refresh (docs/fleet.md "Calls of one
// refresh"): TokenService over a real EtcdStore (a single-member etcd,
// etcd_fixture.hpp) with a fake provider, counting the calls of the store's
// EtcdClient. Each call is a round trip to the cluster's leader (ten, five
// of them Raft writes, before this count was guarded; six, then three); the
// count must not creep back up.
#include "daemon/store/etcd_store.hpp"
#include "daemon/tokens/token_service.hpp"
#include "support/etcd_fixture.hpp"
#include "support/run_now.hpp"
#include "support/temp_store.hpp"
#include "token_fakes.hpp"

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>

#include <chrono>
#include <optional>
#include <thread>

namespace credctl::tokens {
namespace {

namespace asio = boost::asio;
using std::chrono::milliseconds;
using std::chrono::seconds;

class EtcdRefreshCallsTest : public credctl::test::EtcdFixture {
protected:
    void SetUp() override {
        EtcdFixture::SetUp();
        store_ = open_store(1, "/credd/", lease_);
        ASSERT_TRUE(store_);
        service_.emplace(io_, *store_,
                         TokenServiceOptions{{credctl::test::unreachable_provider()}, std::chrono::seconds(5)},
                         TokenServiceSeams{upstream_, clock_});
        // Its access token has expired: the first caller refreshes.
        auto login = test::login_until(clock_.now_epoch_seconds() - 1);
        ASSERT_TRUE(credctl::test::run_now(io_, service_->store_login(key_, std::move(login))).has_value());
    }
    void TearDown() override {
        io_.stop();
        service_.reset();
    }

    using Answer = std::optional<Result<wire::AccessToken>>;
    asio::awaitable<void> ask(Answer* out) {
        *out = co_await service_->token(key_, seconds(60), {}, milliseconds::zero());
    }
    void run(milliseconds d) {
        io_.restart();
        io_.run_for(d);
    }
    // One refresh whose provider answers a token good for 30 s (less than
    // the 60 s asked: the next ask refreshes again); its etcd calls.
    std::uint64_t calls_of_one_refresh(const std::string& access_token, const std::string& refresh_token) {
        const std::uint64_t before = store_->client().calls();
        Answer answer;
        asio::co_spawn(io_, ask(&answer), asio::detached);
        for (int i = 0; i < 100 && upstream_.held() == 0; ++i) run(milliseconds(10));
        EXPECT_EQ(upstream_.held(), 1u) << "the refresh did not reach the provider";
        upstream_.release(test::answer_tokens(access_token, refresh_token, 30));
        for (int i = 0; i < 100 && !answer; ++i) run(milliseconds(10));
        EXPECT_TRUE(answer && answer->has_value()) << (answer ? answer->error().message : "no answer");
        if (answer && *answer) {
            EXPECT_EQ((*answer)->access_token.reveal(), access_token);
        }
        return store_->client().calls() - before;
    }

    seconds lease_{10};  // the refresh lock's
    asio::io_context io_;
    std::unique_ptr<store::EtcdStore> store_;
    test::FakeUpstream upstream_;
    test::FakeClock clock_;
    std::optional<TokenService> service_;
    store::CredentialKey key_{"alice", "demo"};
};

// The record read to find it expired; the lock taken and the record marked
// refresh_pending in one transaction (on a lease the process already holds;
// the refresh token comes from that read, not from another); the answer
// committed and the lock deleted in one transaction. Two Raft writes and a
// read. The first refresh of the process also grants its lease.
TEST_F(EtcdRefreshCallsTest, ARefreshOnALeaseAlreadyGrantedMakesThreeEtcdCalls) {
    EXPECT_EQ(calls_of_one_refresh("AT-1", "RT-1"), 4u) << "the first refresh grants the lease";
    EXPECT_EQ(calls_of_one_refresh("AT-2", "RT-2"), 3u);
    EXPECT_EQ(calls_of_one_refresh("AT-3", "RT-3"), 3u);
    EXPECT_EQ(upstream_.sent, (std::vector<std::string>{"RT-0", "RT-1", "RT-2"}));
    EXPECT_EQ(store_->refresh_token(key_)->reveal(), "RT-3");
    EXPECT_FALSE(*store_->locked(key_)) << "the lock outlived the refresh";
}

template <int LeaseSeconds>
class EtcdRefreshLeaseTest : public EtcdRefreshCallsTest {
protected:
    EtcdRefreshLeaseTest() { lease_ = seconds(LeaseSeconds); }
};
using EtcdRefreshOnAnOlderLeaseTest = EtcdRefreshLeaseTest<6>;
using EtcdRefreshOnAnEndedLeaseTest = EtcdRefreshLeaseTest<2>;

// A lease renewed less than half its TTL ago is used as it is: the refresh
// renews it while the provider answers, if at all, not before the lock.
TEST_F(EtcdRefreshOnAnOlderLeaseTest, ALeaseRenewedLessThanHalfItsTtlAgoCostsNoCallBeforeTheLock) {
    EXPECT_EQ(calls_of_one_refresh("AT-1", "RT-1"), 4u) << "the first refresh grants the lease";
    std::this_thread::sleep_for(milliseconds(1600));  // past a quarter of 6 s, before a third
    EXPECT_EQ(calls_of_one_refresh("AT-2", "RT-2"), 3u);
    EXPECT_EQ(upstream_.sent, (std::vector<std::string>{"RT-0", "RT-1"}));
}

// One renewed longer ago than its TTL has ended: a new one is granted
// without asking after the old one first.
TEST_F(EtcdRefreshOnAnEndedLeaseTest, ALeaseOlderThanItsTtlIsReplacedWithoutAKeepAlive) {
    EXPECT_EQ(calls_of_one_refresh("AT-1", "RT-1"), 4u) << "the first refresh grants the lease";
    std::this_thread::sleep_for(milliseconds(2600));
    EXPECT_EQ(calls_of_one_refresh("AT-2", "RT-2"), 4u) << "a grant, not a keep-alive and a grant";
    EXPECT_EQ(upstream_.sent, (std::vector<std::string>{"RT-0", "RT-1"}));
    EXPECT_FALSE(*store_->locked(key_)) << "the lock outlived the refresh";
}

}  // namespace
}  // namespace credctl::tokens
