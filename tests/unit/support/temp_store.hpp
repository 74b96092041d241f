// Fixtures of the unit tests that run TokenService or the API over real
// storage: an LmdbStore in a temporary directory, a provider `demo` whose
// endpoints the test never reaches (its upstream is fake, or no request of
// the test goes to the provider), and TempStoreTest, the GoogleTest fixture
// that holds the three things every such test needs: the temp dir, the
// io_context and the store opened in it. Test-only; one thread.
#pragma once

#include "common/config/provider.hpp"
#include "daemon/store/lmdb_store.hpp"
#include "daemon/store/master_key.hpp"
#include "daemon/tokens/token_service.hpp"
#include "temp_dir.hpp"

#include <gtest/gtest.h>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>

#include <chrono>
#include <memory>

namespace credctl::test {

// A new store in `dir`/state under an all-zero master key.
[[nodiscard]] inline Result<std::unique_ptr<store::LmdbStore>> open_temp_store(const TempDir& dir) {
    store::LmdbOptions o;
    o.directory = dir.file("state");
    return store::LmdbStore::open(o, store::Sealer(SecretBytes::zeroed(store::k_master_key_bytes)));
}

[[nodiscard]] inline ProviderConfig unreachable_provider() {
    ProviderConfig p;
    p.name = "demo";
    p.authorization_endpoint = "http://127.0.0.1:1/authorize";
    p.token_endpoint = "http://127.0.0.1:1/token";
    p.client_id = "client";
    return p;
}

// TokenService's options with the one provider above and a 5 s timeout.
[[nodiscard]] inline tokens::TokenServiceOptions unreachable_provider_options() {
    return tokens::TokenServiceOptions{{unreachable_provider()}, std::chrono::seconds(5)};
}

// dir_, io_ and lmdb_, a new store opened by SetUp(). A fixture with a
// SetUp() of its own calls ASSERT_NO_FATAL_FAILURE(TempStoreTest::SetUp())
// first. Members are destroyed after the deriving fixture's, so what it
// builds over lmdb_ or io_ goes first.
class TempStoreTest : public ::testing::Test {
protected:
    void SetUp() override {
        auto s = open_temp_store(dir_);
        ASSERT_TRUE(s.has_value()) << s.error().message;
        lmdb_ = std::move(*s);
    }
    // Runs what is ready on io_, and returns once nothing is.
    void settle() {
        io_.restart();
        io_.poll();
    }
    // Starts `work` on io_ and settles. Not a coroutine, so a prvalue
    // awaitable is safe here (GCC PR 99576).
    void spawn(boost::asio::awaitable<void> work) {
        boost::asio::co_spawn(io_, std::move(work), boost::asio::detached);
        settle();
    }

    TempDir dir_;
    boost::asio::io_context io_;
    std::unique_ptr<store::LmdbStore> lmdb_;
};

}  // namespace credctl::test
