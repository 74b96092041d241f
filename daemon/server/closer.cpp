#include "daemon/server/closer.hpp"

#include <unistd.h>

#include <algorithm>

namespace credctl::server {

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
    }
}

}  // namespace credctl::server
