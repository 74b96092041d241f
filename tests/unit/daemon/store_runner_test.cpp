// StoreRunner (daemon/store/store_runner.hpp): a block of store calls given
// from a coroutine runs on the store thread (or inline), one at a time in the
// order given, and its result or exception comes back to the coroutine on
// its own thread.
#include "daemon/store/store_runner.hpp"

#include "support/run_now.hpp"
#include "support/slow_to_let_go.hpp"
#include "support/temp_store.hpp"
#include "temp_dir.hpp"

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/execution/allocator.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/require.hpp>

#include <atomic>
#include <stdexcept>
#include <thread>
#include <vector>

namespace credctl::store {
namespace {

namespace asio = boost::asio;

class StoreRunnerTest : public credctl::test::TempStoreTest {
protected:
    const CredentialKey alice_{"alice", "demo"};
};

struct Seen {
    std::thread::id block;
    std::thread::id resumed;
};

asio::awaitable<Result<std::optional<CredentialRecord>>> put_then_get(StoreRunner& runner, const CredentialKey& key,
                                                                      Seen& seen) {
    auto got = co_await runner.run([&](Store& s) {
        seen.block = std::this_thread::get_id();
        CredentialRecord r;
        r.subject = "alice-subject";
        if (auto put = s.put(key, r, SecretBytes::from("RT")); !put)
            return Result<std::optional<CredentialRecord>>(put.error());
        return s.get(key);
    });
    seen.resumed = std::this_thread::get_id();
    co_return got;
}

TEST_F(StoreRunnerTest, ABlockRunsOnTheStoreThreadAndItsResultComesBackOnTheAwaitingThread) {
    StoreRunner runner(*lmdb_, StorePlacement::own_thread);
    Seen seen;
    auto got = credctl::test::run_now(io_, put_then_get(runner, alice_, seen));
    ASSERT_TRUE(got && *got) << "the block's result is what the store gave";
    EXPECT_EQ((*got)->subject, "alice-subject");
    EXPECT_NE(seen.block, std::this_thread::get_id()) << "the block ran on the I/O thread";
    EXPECT_EQ(seen.resumed, std::this_thread::get_id()) << "the coroutine resumed off the I/O thread";
}

TEST_F(StoreRunnerTest, CallerPlacementRunsTheBlockInlineOnTheAwaitingThread) {
    StoreRunner runner(*lmdb_, StorePlacement::caller);
    Seen seen;
    auto got = credctl::test::run_now(io_, put_then_get(runner, alice_, seen));
    ASSERT_TRUE(got && *got);
    EXPECT_EQ(seen.block, std::this_thread::get_id());
    EXPECT_EQ(seen.resumed, std::this_thread::get_id());
}

asio::awaitable<std::string> throwing(StoreRunner& runner, std::thread::id& resumed) {
    std::string caught = "nothing caught";
    try {
        co_await runner.run([](Store&) -> int { throw std::runtime_error("broken block"); });
    } catch (const std::runtime_error& e) {
        caught = e.what();
    }
    resumed = std::this_thread::get_id();
    co_return caught;
}

TEST_F(StoreRunnerTest, AnExceptionInABlockComesBackToTheAwaitingCoroutineOnItsThread) {
    StoreRunner runner(*lmdb_, StorePlacement::own_thread);
    std::thread::id resumed;
    EXPECT_EQ(credctl::test::run_now(io_, throwing(runner, resumed)), "broken block");
    EXPECT_EQ(resumed, std::this_thread::get_id());
}

// Each block notes whether another block was running at the same time, and
// its place in line.
struct Line {
    std::atomic<int> running{0};
    std::atomic<bool> overlapped{false};
    std::vector<int> order;  // written by the blocks, one at a time
    int resumed = 0;         // on the I/O thread
};

asio::awaitable<void> queue_block(StoreRunner& runner, Line& line, int n) {
    co_await runner.run([&line, n](Store& s) {
        if (line.running.fetch_add(1) != 0) line.overlapped = true;
        [[maybe_unused]] auto c = s.count();
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
        line.order.push_back(n);
        line.running.fetch_sub(1);
    });
    ++line.resumed;
}

TEST_F(StoreRunnerTest, BlocksRunOneAtATimeInTheOrderTheyWereGiven) {
    StoreRunner runner(*lmdb_, StorePlacement::own_thread);
    Line line;
    constexpr int k_blocks = 20;
    for (int n = 0; n < k_blocks; ++n) asio::co_spawn(io_, queue_block(runner, line, n), asio::detached);
    ASSERT_TRUE(credctl::test::run_until(io_, [&] { return line.resumed == k_blocks; }));
    EXPECT_FALSE(line.overlapped) << "two blocks ran at once";
    std::vector<int> expected;
    for (int n = 0; n < k_blocks; ++n) expected.push_back(n);
    EXPECT_EQ(line.order, expected);
}

TEST_F(StoreRunnerTest, TheDestructorRunsTheBlocksAlreadyGivenBeforeItReturns) {
    Line line;
    constexpr int k_blocks = 5;
    {
        StoreRunner runner(*lmdb_, StorePlacement::own_thread);
        for (int n = 0; n < k_blocks; ++n) asio::co_spawn(io_, queue_block(runner, line, n), asio::detached);
        io_.poll();  // the coroutines start and hand over their blocks; nobody waits for them
    }
    EXPECT_EQ(line.order.size(), static_cast<std::size_t>(k_blocks)) << "a block given was dropped at shutdown";
    EXPECT_EQ(line.resumed, 0) << "no coroutine resumed: the I/O thread did not run";
}

// settle() waits for the blocks given before it (each takes 2 ms here), not
// for their coroutines, and the runner takes blocks after it as before.
TEST_F(StoreRunnerTest, SettleReturnsOnceTheBlocksAlreadyGivenHaveRun) {
    StoreRunner runner(*lmdb_, StorePlacement::own_thread);
    Line line;
    constexpr int k_blocks = 5;
    for (int n = 0; n < k_blocks; ++n) asio::co_spawn(io_, queue_block(runner, line, n), asio::detached);
    io_.poll();  // the coroutines start and hand over their blocks
    runner.settle();
    EXPECT_EQ(line.order.size(), static_cast<std::size_t>(k_blocks)) << "settle() returned before a block had run";
    EXPECT_EQ(line.resumed, 0) << "the I/O thread did not run: no coroutine resumed yet";
    ASSERT_TRUE(credctl::test::run_until(io_, [&] { return line.resumed == k_blocks; }));
    auto count = credctl::test::run_now(io_, runner.run([](Store& s) { return s.count(); }));
    EXPECT_TRUE(count.has_value()) << "a block given after settle() did not run";
}

asio::awaitable<void> count_after(StoreRunner& runner, std::chrono::milliseconds pause, int& resumed) {
    co_await runner.run([pause](Store& s) {
        std::this_thread::sleep_for(pause);
        return s.count();
    });
    ++resumed;
}

// A block that ends without a pause hands its result over in a handler of
// its own, which the store thread runs after the block, and only then lets
// go of the awaiting coroutine's executor. settle() waits for that too. The
// coroutines' executor carries an allocator whose copies the store thread
// is slow to destroy (100 ms each), and the first block takes 50 ms, so
// that settle() is called while all three are still in line.
TEST_F(StoreRunnerTest, SettleReturnsOnceTheResultsAreHandedOver) {
    StoreRunner runner(*lmdb_, StorePlacement::own_thread);
    ASSERT_TRUE(
        credctl::test::run_now(io_, runner.run([](Store&) { return credctl::test::slow_to_let_go_here = true; })));
    const auto ex = asio::require(io_.get_executor(), asio::execution::allocator(credctl::test::SlowToLetGo<void>()));
    int resumed = 0;
    constexpr int k_blocks = 3;
    for (int n = 0; n < k_blocks; ++n) {
        const auto pause = std::chrono::milliseconds(n == 0 ? 50 : 0);
        asio::co_spawn(ex, count_after(runner, pause, resumed), asio::detached);
    }
    io_.poll();  // the coroutines start and hand over their blocks
    runner.settle();
    io_.poll();  // what has been handed over resumes; nothing is waited for
    EXPECT_EQ(resumed, k_blocks) << "settle() returned before every result was handed over";
}

}  // namespace
}  // namespace credctl::store
