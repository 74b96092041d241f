// TokenService's end with the store on a thread of its own and a refresh's
// steps on the upstream's thread, as in credd. The store thread hands each
// step's result back to the upstream's executor, and keeps a copy of that
// executor for a moment after: Asio's completion of the block lets go of it
// once the result is on its way. When the service (and with it credd's
// upstream, whose io_context that executor points into) went in that
// moment, the store thread then touched freed memory: an AddressSanitizer
// report as credd exited after a drain.
//
// The upstream here runs its own io_context on its own thread, as
// make_provider_upstream()'s does, and its executor carries an allocator
// that counts its copies and that the store thread is slow to destroy, so
// that the moment lasts long enough to be seen every time.
#include "daemon/store/store_runner.hpp"
#include "daemon/tokens/token_service.hpp"
#include "daemon/tokens/upstream.hpp"
#include "support/run_now.hpp"
#include "support/slow_to_let_go.hpp"
#include "token_fakes.hpp"

#include <gtest/gtest.h>

#include <boost/asio/execution/allocator.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/require.hpp>

#include <atomic>
#include <memory>
#include <thread>

namespace credctl::tokens {
namespace {

namespace asio = boost::asio;

using credctl::test::SlowToLetGo;

// Refreshes answered at once, on a thread of its own whose executor
// carries SlowToLetGo.
class ThreadedUpstream final : public Upstream {
public:
    ThreadedUpstream() : work_(asio::make_work_guard(exchanges_)), thread_([this] { exchanges_.run(); }) {}
    ~ThreadedUpstream() override { stop(); }
    ThreadedUpstream(const ThreadedUpstream&) = delete;
    ThreadedUpstream& operator=(const ThreadedUpstream&) = delete;

    void stop() {
        work_.reset();
        exchanges_.stop();
        if (thread_.joinable()) thread_.join();
    }
    asio::awaitable<Attempt<oauth::TokenSet>> refresh(const ProviderConfig&, const SecretBytes&,
                                                      const std::vector<std::string>&,
                                                      std::shared_ptr<Warmup>) override {
        ++calls_;
        on_own_thread_ = std::this_thread::get_id() == thread_.get_id();
        oauth::TokenSet t;
        t.access_token = SecretBytes::from("AT-1");
        t.token_type = "Bearer";
        t.expires_in = 3600;
        co_return Attempt<oauth::TokenSet>{std::move(t), false};
    }
    asio::awaitable<Result<void>> revoke(const ProviderConfig&, const SecretBytes&) override {
        co_return Result<void>{};
    }
    std::uint64_t attempts() const override { return calls_; }
    asio::any_io_executor steps_executor() override {
        return asio::require(exchanges_.get_executor(), asio::execution::allocator(SlowToLetGo<void>()));
    }
    [[nodiscard]] bool refreshed_on_own_thread() const { return on_own_thread_; }

private:
    std::atomic<std::uint64_t> calls_ = 0;
    std::atomic<bool> on_own_thread_ = false;
    asio::io_context exchanges_{1};
    asio::executor_work_guard<asio::io_context::executor_type> work_;
    std::thread thread_;
};

class TokenServiceEndTest : public test::FakeSeamsTest {};

TEST_F(TokenServiceEndTest, TheStoreThreadLetsGoOfTheUpstreamsExecutorBeforeTheServiceEnds) {
    ThreadedUpstream upstream;
    store::StoreRunner runner(*lmdb_, store::StorePlacement::own_thread);
    ASSERT_TRUE(credctl::test::run_now(
        io_, runner.run([](store::Store&) { return credctl::test::slow_to_let_go_here = true; })));
    {
        TokenService service(io_, runner, credctl::test::unreachable_provider_options(),
                             TokenServiceSeams{upstream, clock_});
        store_login(service, std::chrono::seconds(-1));  // expired: the first caller refreshes
        auto answer = credctl::test::run_now(io_, service.token(key_, std::chrono::seconds(60)));
        ASSERT_TRUE(answer.has_value()) << answer.error().message;
        EXPECT_EQ(answer->access_token.reveal(), "AT-1");
        EXPECT_EQ(upstream.attempts(), 1U);
        EXPECT_TRUE(upstream.refreshed_on_own_thread()) << "the steps did not run on the upstream's thread";
    }
    // Its thread joined, the upstream holds no copy of the executor: one
    // left is the store thread's, and the upstream could be gone by now.
    upstream.stop();
    EXPECT_EQ(credctl::test::slow_to_let_go_copies.load(), 0)
        << "the store thread still held the upstream's executor when the service ended";
}

}  // namespace
}  // namespace credctl::tokens
