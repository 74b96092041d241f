#include "daemon/peer/exe_hasher.hpp"

#include <utility>

namespace credctl::peer {
namespace {

constexpr auto k_budget_window = std::chrono::minutes(1);
// Budgets of uids idle for a window are forgotten once this many are kept.
constexpr std::size_t k_max_budgets = 1024;

std::string mib(std::int64_t bytes) {
    return std::to_string(bytes >> 20) + " MiB";
}

}  // namespace

ExeHasher::ExeHasher(std::int64_t bytes_per_uid_per_minute, Clock clock)
    : budget_(bytes_per_uid_per_minute), clock_(std::move(clock)), thread_([this] { run(); }) {}

ExeHasher::~ExeHasher() {
    {
        const std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    wake_.notify_one();
    thread_.join();
}

void ExeHasher::submit(uid_t uid, std::shared_ptr<const OpenExe> file, Done done) {
    {
        const std::lock_guard lock(mutex_);
        queues_[uid].push_back({uid, std::move(file), std::move(done)});
    }
    wake_.notify_one();
}

// Round robin: the first uid after the one served last that has a job.
std::optional<ExeHasher::Job> ExeHasher::next() {
    std::unique_lock lock(mutex_);
    wake_.wait(lock, [this] { return stopping_ || !queues_.empty(); });
    if (queues_.empty()) return std::nullopt;
    auto it = queues_.upper_bound(last_uid_);
    if (it == queues_.end()) it = queues_.begin();
    Job job = std::move(it->second.front());
    it->second.pop_front();
    last_uid_ = it->first;
    if (it->second.empty()) queues_.erase(it);
    return job;
}

ExeHasher::Outcome ExeHasher::hash(const Job& job) {
    const int fd = job.file->fd();
    if (auto known = cache_.cached(fd)) return {std::move(known), {}};
    const auto size = regular_file_size(fd);
    if (!size) return {std::nullopt, "the executable is not a regular file"};
    if (*size > ExeHashCache::k_max_exe_bytes) {
        return {std::nullopt, "the executable is larger than " + mib(ExeHashCache::k_max_exe_bytes) +
                                  " and is not hashed: " + std::to_string(*size) + " bytes"};
    }
    const auto now = clock_();
    if (spent_.size() >= k_max_budgets) {
        std::erase_if(spent_, [&](const auto& s) { return now - s.second.since >= k_budget_window; });
    }
    auto& spent = spent_[job.uid];
    if (spent.bytes == 0 || now - spent.since >= k_budget_window) spent = {now, 0};
    if (spent.bytes + *size > budget_) {
        return {std::nullopt, "uid " + std::to_string(job.uid) + " is over its budget of executable hashing (" +
                                  mib(budget_) + " a minute)"};
    }
    spent.bytes += *size;
    auto digest = cache_.digest(fd);
    if (!digest) return {std::nullopt, "the executable cannot be read"};
    return {std::move(digest), {}};
}

void ExeHasher::run() {
    while (auto job = next()) {
        job->done(hash(*job));
    }
}

}  // namespace credctl::peer
