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
namespace {

namespace asio = boost::asio;
using Outcome = peer::ExeHasher::Outcome;

// Submits the job and resumes the coroutine on its own executor with the
// outcome. The work guard keeps the I/O loop running (a drain waits for it).
asio::awaitable<Outcome> hashed(peer::ExeHasher& hasher, uid_t uid, std::shared_ptr<const peer::OpenExe> file) {
    const auto ex = co_await asio::this_coro::executor;
    co_return co_await asio::async_initiate<decltype(asio::use_awaitable), void(Outcome)>(
        [&hasher, uid, ex, file = std::move(file)](auto handler) mutable {
            // Done must be copyable; the coroutine's handler is move-only.
            auto shared = std::make_shared<decltype(handler)>(std::move(handler));
            auto work = std::make_shared<asio::executor_work_guard<asio::any_io_executor>>(ex);
            hasher.submit(uid, std::move(file), [shared, work, ex](Outcome outcome) {
                asio::post(ex, [shared, work, outcome = std::move(outcome)]() mutable {
                    std::move (*shared)(std::move(outcome));
                    work->reset();
                });
            });
        },
        asio::use_awaitable);
}

}  // namespace

asio::awaitable<peer::PeerIdentity> with_exe_hash(peer::ExeHasher& hasher, const peer::PeerIdentity& caller) {
    peer::PeerIdentity subject = caller;
    if (!caller.exe_file) co_return subject;  // /proc/<pid>/exe could not be opened: not certain
    auto outcome = co_await hashed(hasher, caller.uid, caller.exe_file);
    if (!outcome.refused.empty()) {
        log::warning("the executable of pid " + std::to_string(caller.pid) + " (uid " + std::to_string(caller.uid) +
                     ") is not hashed: " + outcome.refused);
    }
    subject.exe_sha256 = std::move(outcome.digest);
    co_return subject;
}

}  // namespace credctl::server
