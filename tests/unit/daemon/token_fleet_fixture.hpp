// TokenFleetEtcdTest: two hosts of a fleet, each a TokenService over an
// EtcdStore of its own that follows the store's changes, on one real etcd
// (etcd_fixture.hpp), with fake upstreams and one fake clock
// (token_fakes.hpp). Test-only; the tests drive io_ from their thread.
#pragma once

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
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace credctl::tokens::test {

namespace asio = boost::asio;

class TokenFleetEtcdTest : public credctl::test::EtcdFixture {
protected:
    using milliseconds = std::chrono::milliseconds;
    using seconds = std::chrono::seconds;

    struct Host {
        std::unique_ptr<store::EtcdStore> store;
        test::FakeUpstream upstream;
        std::optional<TokenService> service;
    };
    void SetUp() override {
        EtcdFixture::SetUp();
        for (Host* h : {&a_, &b_}) {
            h->store = open_store();
            ASSERT_TRUE(h->store);
            etcd::ClientOptions o;
            o.endpoints = {etcd_.url()};
            ASSERT_TRUE(h->store->follow_changes(o));
            // The watch is set up once it asks to forget everything cached.
            for (int i = 0; i < 100 && !h->store->take().everything; ++i) std::this_thread::sleep_for(milliseconds(50));
            h->service.emplace(io_, *h->store, TokenServiceOptions{{credctl::test::unreachable_provider()}, seconds(5)},
                               TokenServiceSeams{h->upstream, clock_});
        }
        auto login = test::login_until(clock_.now_epoch_seconds() - 1);
        ASSERT_TRUE(credctl::test::run_now(io_, a_.service->store_login(key_, std::move(login))).has_value());
    }
    void TearDown() override {
        io_.stop();
        a_.service.reset();
        b_.service.reset();
    }

    using Answer = std::optional<Result<wire::AccessToken>>;
    asio::awaitable<void> ask(Host* h, Answer* out) {
        *out = co_await h->service->token(key_, seconds(60), {}, milliseconds::zero());
    }
    // A token down-scoped to "read", for `caller` (paced) or no one (not).
    asio::awaitable<void> ask_read(Host* h, Answer* out, std::optional<std::uint64_t> caller = std::nullopt) {
        std::vector<std::string> scopes;
        scopes.emplace_back("read");
        *out = co_await h->service->token(key_, seconds(60), std::move(scopes), milliseconds::zero(), caller);
    }
    // ask_read() on `h`, the provider answering `script` if asked.
    Answer read_on(Host* h, const test::Script& script, std::optional<std::uint64_t> caller = std::nullopt) {
        Answer answer;
        asio::co_spawn(io_, ask_read(h, &answer, caller), asio::detached);
        for (int i = 0; i < 300 && !answer && h->upstream.held() == 0; ++i) run(milliseconds(10));
        if (!answer && h->upstream.held() == 1) h->upstream.release(script);
        for (int i = 0; i < 300 && !answer; ++i) run(milliseconds(10));
        return answer;
    }
    // Waits for `h`'s watch to deliver the writes made so far (the login of
    // SetUp(), say), and drops them.
    static void drain(Host& h) {
        for (int i = 0; i < 100 && h.store->take().keys.empty(); ++i) std::this_thread::sleep_for(milliseconds(50));
    }
    void run(milliseconds d) {
        io_.restart();
        io_.run_for(d);
    }

    asio::io_context io_;
    test::FakeClock clock_;
    Host a_, b_;
    store::CredentialKey key_{"alice", "demo"};
};

}  // namespace credctl::tokens::test
