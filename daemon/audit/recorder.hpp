// When audit lines reach the file (docs/design.md "Audit before answer"): the scheduling of AuditLog's
// batches on the I/O loop. The API records each decision here and waits,
// before it answers, until its line is written.
//
// A line is either written at once (an allowed request that crosses users:
// nobody reads another user's credential unrecorded, so such a request is
// refused when its line could not be written), or batched: the first line
// of a batch posts one flush to the executor, and every line queued before
// that flush runs goes out with it, in one write(2). A batched line over its
// uid's rate limit (AuditLog::append) is not written; a timer writes the
// count of such lines a period after the first of them (one timer per
// period at most).
//
// Used by daemon/server/api.cpp. Thread-safety: I/O thread only, like
// AuditLog; the executor must run handlers in the order they are posted.
#pragma once

#include "common/error/error.hpp"
#include "daemon/audit/audit.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include <cstdint>
#include <memory>

namespace credctl::audit {

enum class Urgency {
    batched,  // written by the flush of its batch, posted to the executor
    at_once,  // written before record() returns
};

// Queues the line for `r` in `log` and sees that it is written as `when`
// says, and `limit` lets it be counted instead when over its uid's rate.
// Returns its number (0: the line was counted, not written; see
// AuditLog::append). An at_once line the file did not take is the error of
// AuditLog::flush, logged with `r.request_id`; the line is not retried.
[[nodiscard]] Result<std::uint64_t> record(const std::shared_ptr<AuditLog>& log, const boost::asio::any_io_executor& ex,
                                           const Record& r, Urgency when, Limit limit);

// Completes once line `number` of `log` is written, or its batch's flush
// has failed (logged there). The flush of a batch is posted before the
// first line of the batch returns from record(), so one turn of the
// executor is enough.
[[nodiscard]] boost::asio::awaitable<void> written(const std::shared_ptr<AuditLog>& log, std::uint64_t number);

// Writes line `number` of `log` now if it is still queued, with the rest of
// its batch, as the batch's posted flush would (which then finds it written);
// a failure is logged there. For a caller that cannot wait a turn for it.
void write_now(const std::shared_ptr<AuditLog>& log, std::uint64_t number);

}  // namespace credctl::audit
