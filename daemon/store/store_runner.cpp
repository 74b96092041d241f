#include "daemon/store/store_runner.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <condition_variable>
#include <mutex>
#include <thread>

namespace credctl::store {
namespace {

namespace asio = boost::asio;

asio::awaitable<void> run_block(Store& store, std::function<void(Store&)> block) {
    block(store);
    co_return;
}

}  // namespace

// One thread running one io_context: handlers run one at a time, in the
// order they were posted, which is the order run() was called in.
struct StoreRunner::Thread {
    asio::io_context io{1};
    asio::executor_work_guard<asio::io_context::executor_type> work = asio::make_work_guard(io);
    std::thread thread{[this] { io.run(); }};
};

StoreRunner::StoreRunner(Store& store, StorePlacement placement) : store_(store), placement_(placement) {
    if (placement_ == StorePlacement::own_thread) thread_ = std::make_unique<Thread>();
}

StoreRunner::~StoreRunner() {
    if (!thread_) return;
    // No stop(): the blocks already queued run to the end (a commit must not
    // be cut in half), then run() returns for want of work.
    thread_->work.reset();
    thread_->thread.join();
}

void StoreRunner::settle() {
    if (!thread_) return;
    // Handlers run one at a time, in order. A block that ends without a
    // pause (all of them) hands its result over in one more handler, posted
    // as it ends, so behind this call's first handler: that one posts a
    // second, behind those, and the wait ends there.
    std::mutex m;
    std::condition_variable settled;
    bool done = false;
    asio::io_context& io = thread_->io;
    asio::post(io, [&] {
        asio::post(io, [&] {
            const std::lock_guard lock(m);  // notified under the lock: the waiter cannot leave before
            done = true;
            settled.notify_one();
        });
    });
    std::unique_lock lock(m);
    settled.wait(lock, [&] { return done; });
}

asio::awaitable<void> StoreRunner::dispatch(std::function<void(Store&)> block) {
    if (!thread_) return run_block(store_, std::move(block));
    // use_awaitable resumes the awaiting coroutine on its own executor, and
    // rethrows there what the block threw.
    return asio::co_spawn(thread_->io, run_block(store_, std::move(block)), asio::use_awaitable);
}

}  // namespace credctl::store
