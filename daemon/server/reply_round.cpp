#include "daemon/server/reply_round.hpp"

#include "daemon/audit/recorder.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include <string>
#include <utility>

namespace credctl::server {
namespace {

namespace asio = boost::asio;

asio::awaitable<void> reply_rest(Stream& stream, ApiReply& r, bool keep_alive, std::size_t sent,
                                 std::chrono::seconds idle_timeout) {
    const std::string head = head_of(r, keep_alive);
    stream.expires_after(idle_timeout);
    co_await asio::async_write(stream, unsent(head, r.body, sent), asio::as_tuple(asio::use_awaitable));
}

}  // namespace

std::optional<asio::awaitable<void>> reply(Stream& stream, ApiReply& r, bool keep_alive,
                                           std::chrono::seconds idle_timeout) {
    // It nearly always fits in the socket's send buffer: no trip through the scheduler, no timer
    // (at 1000 waiters of one refresh, a fifth of the fan-out), no frame.
    boost::system::error_code ec;
    const std::size_t sent = write_at_once(stream.socket(), head_of(r, keep_alive), r.body, ec);
    if (ec != asio::error::would_block && ec != asio::error::try_again) return std::nullopt;
    return reply_rest(stream, r, keep_alive, sent, idle_timeout);
}

asio::awaitable<void> ReplyRound::send(QueuedReply& q) {
    queued_.push_back(&q);
    if (!posted_) {
        posted_ = true;
        asio::post(io_, [this] { run(); });
    }
    // Not a coroutine: the session's frame waits, no frame of its own.
    return asio::async_initiate<decltype(asio::use_awaitable), void()>(
        [&q](auto handler) { q.resume.emplace(std::move(handler)); }, asio::use_awaitable);
}

void ReplyRound::run() {
    posted_ = false;
    // Nothing below resumes a session, so nothing is queued meanwhile.
    running_.swap(queued_);
    for (QueuedReply* q : running_) {
        // Usually written already: the batch's flush was posted before this round.
        if (q->audit) audit::write_now(q->audit, q->audit_line);
        q->keep_alive = q->keep_alive && !stopping_;
        q->rest = reply(*q->stream, *q->reply, q->keep_alive, idle_timeout_);
        q->others_in_round = running_.size() > 1;
    }
    for (QueuedReply* q : running_) {
        asio::post(io_, [resume = std::move(*q->resume)]() mutable { std::move(resume)(); });
    }
    running_.clear();
}

}  // namespace credctl::server
