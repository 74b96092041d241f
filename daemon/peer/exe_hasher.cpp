#include "daemon/peer/exe_hasher.hpp"

#include <utility>

namespace credctl::peer {
namespace {

constexpr auto k_budget_window = std::chrono::minutes(1);
// Budgets of accounts idle for a window are forgotten once this many are kept.
constexpr std::size_t k_max_budgets = 1024;

std::string mib(std::int64_t bytes) {
    return std::to_string(bytes >> 20) + " MiB";
}

std::string over_budget(uid_t uid, std::optional<uid_t> owner, std::int64_t budget) {
    const std::string whose =
        owner ? "the budget of executable hashing that the subordinate uids of uid " + std::to_string(*owner) + " share"
              : "its budget of executable hashing";
    return "uid " + std::to_string(uid) + " is over " + whose + " (" + mib(budget) + " a minute)";
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

void ExeHasher::submit(uid_t uid, std::optional<uid_t> owner, std::shared_ptr<const OpenExe> file, Done done) {
    {
        const std::lock_guard lock(mutex_);
        queues_[account_of(uid, owner)].push_back({uid, owner, std::move(file), std::move(done)});
    }
    wake_.notify_one();
}

// Round robin: the first account after the one served last that has a job.
std::optional<ExeHasher::Job> ExeHasher::next() {
    std::unique_lock lock(mutex_);
    wake_.wait(lock, [this] { return stopping_ || !queues_.empty(); });
    if (queues_.empty()) return std::nullopt;
    auto it = queues_.upper_bound(last_account_);
    if (it == queues_.end()) it = queues_.begin();
    Job job = std::move(it->second.front());
    it->second.pop_front();
    last_account_ = it->first;
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
    auto& spent = spent_[account_of(job.uid, job.owner)];
    if (spent.bytes == 0 || now - spent.since >= k_budget_window) spent = {now, 0};
    if (spent.bytes + *size > budget_) return {std::nullopt, over_budget(job.uid, job.owner, budget_)};
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
