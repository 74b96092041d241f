// StoreRunner: where credd's calls to its Store (and the Store's RefreshLock)
// run, so that a store behind the network or a slow disk never holds the I/O
// thread (docs/fleet.md "Blocking", docs/design.md "Threads").
//
// A caller on the I/O thread writes a block of synchronous store calls and
// awaits it:
//
//     auto rec = co_await runner.run([&](store::Store& s) { return s.get(key); });
//
// With StorePlacement::own_thread (credd, on either backend: an etcd call is
// a network exchange of up to request_timeout_seconds, an LMDB commit waits
// for the disk) the block runs on the runner's one store thread, and the
// awaiting coroutine resumes on its own executor (the I/O thread) with the
// block's result; meanwhile the I/O thread serves everyone else. With
// StorePlacement::caller (a store given directly, as tests do) the block
// runs at once on the caller's thread, and nothing changes.
//
// Either way, blocks run one at a time, in the order they were given, never
// two at once: the Store implementations keep their one-thread-at-a-time
// contract (store.hpp), and a block's calls are not interleaved with another
// block's (a read and the write that depends on it can share a block). A
// block must touch the store and its own arguments only: state of the I/O
// thread (caches, flights) is read and written after the co_await, back on
// that thread. An exception thrown inside a block comes back out of the
// co_await in the awaiting coroutine.
//
// refresh_lock() and change_feed() only hand out the store's fixed pointers
// (no store call), so they may be asked on any thread; calls on the lock go
// through run() like every other store call. ChangeFeed::take() is the
// exception: the feed has its own lock (change_feed.hpp).
//
// Lifetime: the store outlives the runner. The destructor runs the blocks
// already given, then joins the store thread. Used by TokenService,
// KeepAlive and the server's handlers.
#pragma once

#include "daemon/store/store.hpp"

#include <boost/asio/awaitable.hpp>

#include <functional>
#include <memory>
#include <optional>
#include <type_traits>
#include <utility>

namespace credctl::store {

enum class StorePlacement {
    caller,      // blocks run inline on the awaiting thread (a local store)
    own_thread,  // blocks run on the runner's store thread (a store over the network)
};

class StoreRunner {
public:
    // Borrows `store`, which must outlive the runner.
    StoreRunner(Store& store, StorePlacement placement);
    ~StoreRunner();
    StoreRunner(const StoreRunner&) = delete;
    StoreRunner& operator=(const StoreRunner&) = delete;

    // Runs `block(store)` as described above and gives back what it returns.
    // Not a coroutine itself, so a lambda passed as a temporary is safe
    // (GCC PR 99576, see daemon/server/server.cpp).
    template <class F>
    [[nodiscard]] boost::asio::awaitable<std::invoke_result_t<F&, Store&>> run(F block) {
        return collect(std::move(block));
    }

    // Returns once the store thread has run every block given before the
    // call, handed each result over, and let go of all they held. A block's
    // result goes back to the awaiting coroutine's executor, and the store
    // thread keeps a copy of that executor for a moment after the handover.
    // Whoever is about to destroy the io_context behind such an executor
    // calls this first (TokenService, whose upstream's thread runs a
    // refresh's steps). Not from the store thread; with the caller
    // placement it returns at once.
    void settle();

    [[nodiscard]] StorePlacement placement() const { return placement_; }
    [[nodiscard]] RefreshLock* refresh_lock() const { return store_.refresh_lock(); }
    [[nodiscard]] ChangeFeed* change_feed() const { return store_.change_feed(); }

private:
    template <class F>
    boost::asio::awaitable<std::invoke_result_t<F&, Store&>> collect(F block) {
        using R = std::invoke_result_t<F&, Store&>;
        if constexpr (std::is_void_v<R>) {
            co_await dispatch([&block](Store& s) { block(s); });
        } else {
            std::optional<R> out;
            co_await dispatch([&block, &out](Store& s) { out.emplace(block(s)); });
            co_return std::move(*out);
        }
    }
    // The one place that knows the placement (store_runner.cpp).
    [[nodiscard]] boost::asio::awaitable<void> dispatch(std::function<void(Store&)> block);

    Store& store_;
    const StorePlacement placement_;
    struct Thread;
    std::unique_ptr<Thread> thread_;  // own_thread only
};

}  // namespace credctl::store
