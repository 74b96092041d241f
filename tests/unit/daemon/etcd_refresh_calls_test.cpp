// The etcd round trips of one refresh (docs/fleet.md "Calls of one
// refresh"): TokenService over a real EtcdStore (a single-member etcd,
// etcd_fixture.hpp) with a fake provider, counting the calls of the store's
// EtcdClient. Each call is a round trip to the cluster's leader (ten, five
// of them Raft writes, before this count was guarded; six, then three, then
// two with the watch following); the count must not creep back up.
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
        ASSERT_NO_FATAL_FAILURE(test::serve_expired_login(io_, *store_, upstream_, clock_, key_, service_));
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

    // The store follows its prefix through a watch, as credd's does; once
    // the watch is set up (it asks to forget everything cached).
    void follow_changes() {
        etcd::ClientOptions o;
        o.endpoints = {etcd_.url()};
        ASSERT_TRUE(store_->follow_changes(o));
        for (int i = 0; i < 100 && !store_->take().everything; ++i) std::this_thread::sleep_for(milliseconds(50));
    }

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

// With the watch following (as in credd), the record this credd committed
// last is the one it reads to find the token expired: nothing reported a
// change since, so that read is answered from the kept copy. A lock-and-mark
// and a commit: two Raft writes and no read.
TEST_F(EtcdRefreshCallsTest, WithTheWatchFollowingARefreshAfterItsOwnCommitMakesTwoEtcdCalls) {
    follow_changes();
    EXPECT_EQ(calls_of_one_refresh("AT-1", "RT-1"), 4u) << "the login's record is read, and the lease granted";
    EXPECT_EQ(calls_of_one_refresh("AT-2", "RT-2"), 2u);
    EXPECT_EQ(calls_of_one_refresh("AT-3", "RT-3"), 2u);
    EXPECT_EQ(upstream_.sent, (std::vector<std::string>{"RT-0", "RT-1", "RT-2"}));
    EXPECT_EQ(store_->refresh_token(key_)->reveal(), "RT-3");
}

// Another host's write reported by the watch: the kept copy is not used,
// the record is read again, and the refresh goes on from what is stored.
TEST_F(EtcdRefreshCallsTest, AfterAnotherHostsWriteTheRecordIsReadFromEtcdAgain) {
    follow_changes();
    EXPECT_EQ(calls_of_one_refresh("AT-1", "RT-1"), 4u);
    auto other = open_store();
    ASSERT_TRUE(other);
    store::CredentialRecord expired;
    expired.access_token = SecretBytes::from("AT-other");
    expired.access_expires_at = clock_.now_epoch_seconds() - 1;
    expired.updated_at = clock_.now_epoch_seconds();
    ASSERT_TRUE(other->put(key_, expired, SecretBytes::from("RT-other")));
    // Until the watch reports it, the kept copy answers (as the cache of
    // TokenService would); then one read of etcd, and the copy again.
    const std::uint64_t before = store_->client().calls();
    bool seen = false;
    for (int i = 0; i < 100 && !seen; ++i) {
        auto read = store_->get_to_refresh(key_);
        ASSERT_TRUE(read && *read);
        seen = (*read)->access_token.reveal() == "AT-other";
        if (!seen) std::this_thread::sleep_for(milliseconds(50));
    }
    ASSERT_TRUE(seen) << "the other host's record was never read";
    EXPECT_EQ(store_->client().calls() - before, 1u);
    EXPECT_EQ(calls_of_one_refresh("AT-2", "RT-2"), 2u) << "that read is current: the refresh starts from it";
    EXPECT_EQ(upstream_.sent.back(), "RT-other") << "the refresh did not start from the other host's record";
}

}  // namespace
}  // namespace credctl::tokens
