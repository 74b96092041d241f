#include "daemon/audit/recorder.hpp"

#include "common/log/log.hpp"

#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <string>

namespace credctl::audit {
namespace {

namespace asio = boost::asio;

// Flushes `log`'s batch; a failure is logged, the lines are lost.
void flush_batch(const std::shared_ptr<AuditLog>& log) {
    const auto lines = log->queued();
    if (!log->flush()) {
        log::error("audit log " + log->path() + " cannot be written: " + std::to_string(lines) + " line(s) lost");
    }
}

// Posts a flush of `log` to `ex` when `log` has just started a batch; the
// lines queued after it, before it runs, go out with it. A full batch is
// flushed at once (the posted flush then takes what follows).
void schedule_flush(const std::shared_ptr<AuditLog>& log, const asio::any_io_executor& ex) {
    if (log->batch_full()) return flush_batch(log);
    if (log->queued() != 1) return;
    asio::post(ex, [log] { flush_batch(log); });
}

// Writes the counts of suppressed lines a period after the first of them,
// even if the flood stops.
void schedule_summary(const std::shared_ptr<AuditLog>& log, const asio::any_io_executor& ex) {
    const auto wait = log->schedule_summary();
    if (!wait) return;
    auto timer = std::make_shared<asio::steady_timer>(ex, *wait);
    timer->async_wait([log, timer](const boost::system::error_code&) {
        if (!log->write_summaries())
            log::error("audit log " + log->path() + " cannot be written: counts of suppressed lines lost");
    });
}

}  // namespace

Result<std::uint64_t> record(const std::shared_ptr<AuditLog>& log, const asio::any_io_executor& ex, const Record& r,
                             Urgency when, Limit limit) {
    const std::uint64_t line = log->append(r, limit);
    if (when == Urgency::at_once) {
        if (auto done = log->flush(); !done) {
            log::error("audit log " + log->path() + " cannot be written (request " + std::string(r.request_id) + ")");
            return done.error();
        }
    } else if (line != 0) {
        schedule_flush(log, ex);
    } else {
        schedule_summary(log, ex);
    }
    return line;
}

void write_now(const std::shared_ptr<AuditLog>& log, std::uint64_t number) {
    if (!log->flushed(number)) flush_batch(log);
}

asio::awaitable<void> written(const std::shared_ptr<AuditLog>& log, std::uint64_t number) {
    if (!log->flushed(number)) co_await asio::post(co_await asio::this_coro::executor, asio::use_awaitable);
}

}  // namespace credctl::audit
