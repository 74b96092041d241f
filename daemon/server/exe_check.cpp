#include "daemon/server/exe_check.hpp"

#include "common/log/log.hpp"

#include <boost/asio/async_result.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <memory>
#include <utility>

namespace credctl::server {

namespace asio = boost::asio;
using Outcome = peer::ExeHasher::Outcome;

// No temporary with a destructor in a co_await expression here, and no
// parameter taken by value: g++ 12 may destroy those twice (GCC PR 99576).
asio::awaitable<void> with_exe_hash(peer::ExeHasher& hasher, peer::PeerIdentity& subject) {
    subject.exe_sha256.reset();
    if (!subject.exe_file) co_return;  // /proc/<pid>/exe could not be opened: not certain
    const auto ex = co_await asio::this_coro::executor;
    // Submits the job; the outcome resumes this coroutine on its own
    // executor. The work guard keeps the I/O loop running (a drain waits).
    auto initiation = [&hasher, &subject, &ex](auto handler) {
        // Done must be copyable; the coroutine's handler is move-only.
        auto shared = std::make_shared<decltype(handler)>(std::move(handler));
        auto work = std::make_shared<asio::executor_work_guard<asio::any_io_executor>>(ex);
        hasher.submit(subject.uid, subject.subordinate_of, subject.exe_file, [shared, work, io = ex](Outcome outcome) {
            asio::post(io, [shared, work, done = std::move(outcome)]() mutable {
                std::move (*shared)(std::move(done));
                work->reset();
            });
        });
    };
    Outcome outcome =
        co_await asio::async_initiate<decltype(asio::use_awaitable), void(Outcome)>(initiation, asio::use_awaitable);
    if (!outcome.refused.empty()) {
        log::warning("the executable of pid " + std::to_string(subject.pid) + " (uid " + std::to_string(subject.uid) +
                     ") is not hashed: " + outcome.refused);
    }
    subject.exe_sha256 = std::move(outcome.digest);
}

}  // namespace credctl::server
