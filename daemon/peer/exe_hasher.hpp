// Hashing callers' executables on a thread of its own, for grants that pin a
// binary by content (`exe_sha256`), so that no hash ever runs on the server's
// I/O thread.
//
// Jobs wait in one queue per account and the worker takes the accounts in
// turn, so an account with many pending hashes delays another's hash by at
// most one job (one file of at most ExeHashCache::k_max_exe_bytes). Each
// account has a budget of bytes hashed per minute: a job over it is
// refused, and its caller is denied, while other accounts go on. A digest
// already cached (same device, inode, size and mtime) costs no budget. An
// account is a uid, or all the subordinate uids of one user (subuid(5),
// subordinate_uids.hpp), apart from the user's own uid: otherwise a user
// with the usual 65,536 of them had 65,536 budgets and turns. A user with
// subordinate uids so has two accounts: up to two jobs ahead of another
// user's hash, and twice the budget.
//
// Used by the server's API (daemon/server/exe_check.hpp). Thread-safety:
// submit() may be called from any thread; `done` runs on the worker thread.
// The destructor finishes the queued jobs, then joins the thread.
#pragma once

#include "daemon/peer/exe_hash.hpp"
#include "daemon/peer/subordinate_uids.hpp"

#include <sys/types.h>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

namespace credctl::peer {

class ExeHasher {
public:
    // Two hashes of the largest executable a minute: a binary pinned by a
    // grant is hashed once and cached; a uid that needs more is making them.
    static constexpr std::int64_t k_bytes_per_uid_per_minute = 2 * ExeHashCache::k_max_exe_bytes;

    using Clock = std::function<std::chrono::steady_clock::time_point()>;

    struct Outcome {
        std::optional<std::string> digest;  // lowercase hex SHA-256
        std::string refused;                // why there is no digest, or empty
    };
    using Done = std::function<void(Outcome)>;

    explicit ExeHasher(std::int64_t bytes_per_uid_per_minute = k_bytes_per_uid_per_minute,
                       Clock clock = std::chrono::steady_clock::now);
    ExeHasher(const ExeHasher&) = delete;
    ExeHasher& operator=(const ExeHasher&) = delete;
    ~ExeHasher();

    // Hashes `file` for a caller of `uid` and calls `done` with the outcome,
    // on the worker thread. `owner`: the user whose subordinate uid `uid` is
    // (PeerIdentity::subordinate_of), if any. `file` must not be null.
    void submit(uid_t uid, std::optional<uid_t> owner, std::shared_ptr<const OpenExe> file, Done done);

private:
    struct Job {
        uid_t uid;
        std::optional<uid_t> owner;
        std::shared_ptr<const OpenExe> file;
        Done done;
    };
    struct Spent {
        std::chrono::steady_clock::time_point since;
        std::int64_t bytes = 0;
    };

    void run();
    std::optional<Job> next();  // waits; std::nullopt once stopping and drained
    Outcome hash(const Job& job);

    const std::int64_t budget_;
    const Clock clock_;
    std::mutex mutex_;
    std::condition_variable wake_;
    std::map<Account, std::deque<Job>> queues_;
    Account last_account_ = 0;
    bool stopping_ = false;
    // Worker thread only.
    ExeHashCache cache_;
    std::map<Account, Spent> spent_;
    std::thread thread_;  // last: starts once the members above exist
};

}  // namespace credctl::peer
