// Closing finished connections on a thread of their own.
//
// close(2) of a Unix stream socket is the largest single cost of a request
// that credd can move: the kernel wakes the peer, frees the socket's buffers,
// inode and dentry. At 1000 callers of one refresh it was a fifth of the I/O
// thread's time per request (docs/benchmarks.md, "Expiry stampede"). The I/O
// thread hands the descriptor of a connection whose last answer is written
// here instead, and goes on with the next request while this thread closes it.
// After each batch the thread pauses for a millisecond, so that a burst of
// connections ending costs the I/O thread one wake-up of it, not one each.
//
// Used by the server (daemon/server/server.cpp). Thread-safety: close() may
// be called from any thread; the destructor closes what is still queued and
// joins the thread.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <thread>
#include <vector>

namespace credctl::server {

// How many descriptors a Closer may hold in a process allowed `open_files`
// of them: an eighth, at least 16 and at most 4096, so that finished
// connections waiting to be closed never crowd out new ones.
[[nodiscard]] std::size_t closer_bound(std::uint64_t open_files);

class Closer {
public:
    // At most `max_queued` descriptors wait: beyond that, close() closes on
    // the calling thread, so a starved closer never holds more than that
    // many finished connections' descriptors open.
    explicit Closer(std::size_t max_queued = 4096);
    Closer(const Closer&) = delete;
    Closer& operator=(const Closer&) = delete;
    ~Closer();

    // Takes ownership of `fd` and closes it soon. The caller must not use it
    // again, and must have stopped watching it (an Asio socket's release()
    // removes it from the reactor).
    void close(int fd);

private:
    void run();

    const std::size_t max_queued_;
    std::mutex mutex_;
    std::condition_variable wake_;
    std::vector<int> queued_;
    bool stopping_ = false;
    std::thread thread_;  // last: starts once the members above exist
};

}  // namespace credctl::server
