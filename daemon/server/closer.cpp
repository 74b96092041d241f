#include "daemon/server/closer.hpp"

#include <unistd.h>

#include <algorithm>
#include <chrono>

namespace credctl::server {
namespace {

constexpr std::chrono::milliseconds k_gather{1};

}  // namespace

std::size_t closer_bound(std::uint64_t open_files) {
    return static_cast<std::size_t>(std::clamp<std::uint64_t>(open_files / 8, 16, 4096));
}

Closer::Closer(std::size_t max_queued) : max_queued_(max_queued), thread_([this] { run(); }) {}

Closer::~Closer() {
    {
        const std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    wake_.notify_one();
    thread_.join();
}

void Closer::close(int fd) {
    bool was_empty = false;
    {
        const std::lock_guard lock(mutex_);
        if (queued_.size() < max_queued_) {
            was_empty = queued_.empty();
            queued_.push_back(fd);
            fd = -1;
        }
    }
    if (fd >= 0) {
        ::close(fd);
        return;
    }
    // One wake-up per batch: while descriptors are queued, the thread is
    // already awake or about to take them.
    if (was_empty) wake_.notify_one();
}

void Closer::run() {
    std::vector<int> batch;
    for (;;) {
        {
            std::unique_lock lock(mutex_);
            wake_.wait(lock, [this] { return stopping_ || !queued_.empty(); });
            if (queued_.empty()) return;  // stopping, and nothing left
            batch.swap(queued_);
        }
        for (const int fd : batch) ::close(fd);
        batch.clear();
        // Connections end in bursts (a fan-out to the waiters of one
        // refresh). While this thread waits on wake_, each close() that
        // finds the queue empty costs the I/O thread a futex wake-up; while
        // it sleeps here, none: the descriptors of the next millisecond
        // gather into one batch instead.
        std::this_thread::sleep_for(k_gather);
    }
}

}  // namespace credctl::server
