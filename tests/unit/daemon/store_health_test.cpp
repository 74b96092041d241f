#include "daemon/server/store_health.hpp"

#include "daemon/store/lmdb_store.hpp"
#include "etcd_process.hpp"
#include "support/temp_store.hpp"
#include "temp_dir.hpp"

#include <gtest/gtest.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>

#include <chrono>
#include <memory>
#include <string>

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
    wire::Status fill(StoreHealth& health, bool fresh = true, Clock::time_point now = Clock::now()) {
        wire::Status s;
        asio::co_spawn(
            io_, [&]() -> asio::awaitable<void> { co_await health.fill(s, *tokens_, fresh, now); }, asio::detached);
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

TEST_F(StoreHealthTest, TheFirstStatusOfAnyoneIsProbed) {
    StoreHealth health(daemon::StoreSettings{});
    const auto s = fill(health, false);
    EXPECT_EQ(s.store_state, "readable");
    EXPECT_EQ(s.credentials, 0);
}

}  // namespace
}  // namespace credctl::server
