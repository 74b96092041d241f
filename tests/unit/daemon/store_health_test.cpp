#include "daemon/server/store_health.hpp"

#include "daemon/store/lmdb_store.hpp"
#include "daemon/store/store_runner.hpp"
#include "etcd_process.hpp"
#include "support/temp_store.hpp"
#include "temp_dir.hpp"
#include "token_fakes.hpp"

#include <gtest/gtest.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>

#include <atomic>
#include <chrono>
#include <exception>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace credctl::server {
namespace {

namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;

// The store TokenService counts is a local LMDB with no credential: a
// status that counted it would say 0.
class StoreHealthTest : public test::TempStoreTest {
protected:
    void SetUp() override {
        ASSERT_NO_FATAL_FAILURE(TempStoreTest::SetUp());
        tokens_ = std::make_unique<tokens::TokenService>(io_, *lmdb_, test::unreachable_provider_options());
    }
    wire::Status fill(StoreHealth& health, bool fresh = true, Clock::time_point now = Clock::now(),
                      tokens::TokenService* tokens = nullptr) {
        wire::Status s;
        tokens::TokenService& t = tokens != nullptr ? *tokens : *tokens_;
        asio::co_spawn(
            io_, [&]() -> asio::awaitable<void> { co_await health.fill(s, t, fresh, now); }, asio::detached);
        io_.run();
        io_.restart();
        return s;
    }
    static daemon::StoreSettings etcd_settings(std::vector<std::string> endpoints) {
        daemon::StoreSettings st;
        st.backend = daemon::StoreBackend::etcd;
        st.etcd.endpoints = std::move(endpoints);
        st.etcd.request_timeout = std::chrono::seconds(1);
        return st;
    }

    std::unique_ptr<tokens::TokenService> tokens_;
};

// The store a probe counts, counting the probes (one count() each on LMDB);
// the first count() throws when asked to (a bug in a probe).
class ProbeCountingStore final : public tokens::test::ForwardingStore {
public:
    using ForwardingStore::ForwardingStore;
    Result<std::uint64_t> count() override {
        if (++probes == 1 && first_throws) throw std::runtime_error("count broke");
        return ForwardingStore::count();
    }
    std::atomic<int> probes{0};  // counted on the store thread
    bool first_throws = false;
};

// As credd has it: the store's calls run on the store thread, so a probe
// suspends on the I/O thread and other statuses come in meanwhile.
struct ThreadedTokens {
    explicit ThreadedTokens(asio::io_context& io, store::Store& store)
        : runner(store, store::StorePlacement::own_thread),
          tokens(io, runner, credctl::test::unreachable_provider_options()) {}
    store::StoreRunner runner;
    tokens::TokenService tokens;
};

TEST_F(StoreHealthTest, AnUnreachableClusterIsNotCounted) {
    const std::string refused = "http://127.0.0.1:" + std::to_string(test::free_loopback_port());
    StoreHealth health(etcd_settings({refused}));
    const auto start = Clock::now();
    const auto s = fill(health);
    EXPECT_LT(Clock::now() - start, std::chrono::milliseconds(1500));
    EXPECT_EQ(s.store_backend, "etcd");
    EXPECT_EQ(s.store_state, "unreachable");
    EXPECT_EQ(s.store, "etcd: no member answers (" + refused + ": connecting: Connection refused)");
    EXPECT_EQ(s.credentials, -1);
    ASSERT_EQ(s.store_endpoints.size(), 1U);
    EXPECT_EQ(s.store_endpoints[0].url, refused);
    EXPECT_FALSE(s.store_endpoints[0].answers);
}

TEST_F(StoreHealthTest, AReadableClusterIsCountedAndEachMemberListed) {
    test::EtcdProcess etcd(dir_.file("etcd"));
    ASSERT_TRUE(etcd.ready());
    const std::string refused = "http://127.0.0.1:" + std::to_string(test::free_loopback_port());
    StoreHealth health(etcd_settings({refused, etcd.url()}));
    const auto s = fill(health);
    EXPECT_EQ(s.store_state, "readable");
    EXPECT_EQ(s.store, "ok");
    EXPECT_EQ(s.credentials, 0);
    ASSERT_EQ(s.store_endpoints.size(), 2U);
    EXPECT_FALSE(s.store_endpoints[0].answers);
    EXPECT_TRUE(s.store_endpoints[1].answers);
    EXPECT_TRUE(s.store_endpoints[1].reads);
}

TEST_F(StoreHealthTest, AnLmdbStoreIsCountedWithoutEndpoints) {
    StoreHealth health(daemon::StoreSettings{});
    const auto s = fill(health);
    EXPECT_EQ(s.store_backend, "lmdb");
    EXPECT_EQ(s.store_state, "readable");
    EXPECT_EQ(s.credentials, 0);
    EXPECT_TRUE(s.store_endpoints.empty());
}

// /v1/status is open to every local user: only an administrator's makes
// the store work each time.
TEST_F(StoreHealthTest, OthersAreAnsweredFromTheLastProbeForASecond) {
    StoreHealth health(daemon::StoreSettings{});
    const auto t0 = Clock::now();
    using std::chrono::milliseconds;
    EXPECT_EQ(fill(health, true, t0).credentials, 0);
    ASSERT_TRUE(lmdb_->put({"alice", "demo"}, store::CredentialRecord{}, SecretBytes::from("RT")).has_value());
    EXPECT_EQ(fill(health, false, t0 + milliseconds(10)).credentials, 0);  // the last probe's count
    EXPECT_EQ(fill(health, true, t0 + milliseconds(20)).credentials, 1);   // an administrator's: counted now
    EXPECT_EQ(fill(health, false, t0 + milliseconds(30)).credentials, 1);
    ASSERT_TRUE(lmdb_->put({"bob", "demo"}, store::CredentialRecord{}, SecretBytes::from("RT")).has_value());
    EXPECT_EQ(fill(health, false, t0 + milliseconds(1019)).credentials, 1);
    // A second after the last probe: counted again.
    EXPECT_EQ(fill(health, false, t0 + milliseconds(20) + StoreHealth::k_shared_for).credentials, 2);
}

// Right after credd starts no probe has ended yet: a flood of statuses from
// anyone but an administrator waits for the one probe under way instead of
// each starting its own.
TEST_F(StoreHealthTest, OthersArrivingBeforeAnyProbeEndedShareTheProbeUnderWay) {
    ProbeCountingStore counted(*lmdb_);
    ThreadedTokens t(io_, counted);
    StoreHealth health(daemon::StoreSettings{});
    std::vector<wire::Status> answers(20);
    const auto now = Clock::now();
    for (auto& s : answers) asio::co_spawn(io_, health.fill(s, t.tokens, false, now), asio::detached);
    io_.run();
    io_.restart();
    EXPECT_EQ(counted.probes, 1);
    for (const auto& s : answers) {
        EXPECT_EQ(s.store_state, "readable");
        EXPECT_EQ(s.credentials, 0);
    }
    // An administrator's status is still probed.
    EXPECT_EQ(fill(health, true, now, &t.tokens).credentials, 0);
    EXPECT_EQ(counted.probes, 2);
}

// A probe ending with an exception (a bug) still answers the statuses
// waiting for it, as failing and without a count; the next status probes.
TEST_F(StoreHealthTest, StatusesWaitingForAProbeThatThrowsAreAnswered) {
    ProbeCountingStore counted(*lmdb_);
    counted.first_throws = true;
    ThreadedTokens t(io_, counted);
    StoreHealth health(daemon::StoreSettings{});
    const auto now = Clock::now();
    wire::Status first;
    std::exception_ptr thrown;
    asio::co_spawn(io_, health.fill(first, t.tokens, false, now), [&thrown](std::exception_ptr e) { thrown = e; });
    std::vector<wire::Status> waiting(5);
    for (auto& s : waiting) asio::co_spawn(io_, health.fill(s, t.tokens, false, now), asio::detached);
    io_.run();
    io_.restart();
    EXPECT_TRUE(thrown);
    EXPECT_EQ(counted.probes, 1);
    for (const auto& s : waiting) {
        EXPECT_EQ(s.store_state, "failing");
        EXPECT_EQ(s.store, "store: the probe this status waited for ended without an answer");
        EXPECT_EQ(s.credentials, -1);
    }
    EXPECT_EQ(fill(health, false, now, &t.tokens).store_state, "readable");
    EXPECT_EQ(counted.probes, 2);
}

TEST_F(StoreHealthTest, TheFirstStatusOfAnyoneIsProbed) {
    StoreHealth health(daemon::StoreSettings{});
    const auto s = fill(health, false);
    EXPECT_EQ(s.store_state, "readable");
    EXPECT_EQ(s.credentials, 0);
}

}  // namespace
}  // namespace credctl::server
