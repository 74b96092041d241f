// The audit trail (docs/design.md "Audit before answer"): one JSON line per
// policy decision, with time, request id, caller (pid, uid, user, exe, unit),
// resource, permission, decision and the grant that decided it. Lines go to the
// configured file (opened O_APPEND, mode 0600) and to stderr for journald.
// Records carry identities and names only; there is no field a token could
// reach.
//
// Lines are queued and written in batches, each batch with one write(2) to
// the file and one to stderr: at 1000 requests in one turn of the I/O loop,
// two writes per request were a tenth of credd's time (docs/benchmarks.md,
// "Expiry stampede"). When a batch is flushed, and when a line must be
// written at once, is decided by recorder.hpp; the API waits for a request's
// line before its answer (daemon/server/api.cpp).
//
// A flood of requests must not fill the disk the store shares, nor rotate
// the rest of the history out of the file: lines pass a per-uid rate limit
// (line_limiter.hpp), one for denials and a larger one for allows, and the
// lines over it are written as one "suppressed" line per uid and period
// (for allows, with counts by executable, resource and permission). The
// file is rotated at a size cap (path -> path.1 -> ... -> path.N, the
// oldest dropped), so it takes at most (N + 1) caps, each exceeded by at
// most one batch.
//
// Used by the API's permission check. Thread-safety: I/O thread only; a
// batch of whole lines is one write(2), so concurrent writers never
// interleave within a line.
#pragma once

#include "common/error/error.hpp"
#include "daemon/audit/line_limiter.hpp"
#include "daemon/peer/peer.hpp"

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace credctl::audit {

struct Record {
    const peer::PeerIdentity& caller;
    std::string_view request_id;
    std::string_view resource;
    std::string_view permission;
    bool allowed;
    std::string_view grant;  // empty when none
    std::string_view reason;
};

// The JSON line for `r`, without the newline.
[[nodiscard]] std::string to_json_line(const Record& r);
enum class Lines { denials, allows };
// Whether an allow's line passes the rate limit of allows (a denial's always
// passes its own).
enum class Limit { applies, exempt };
// The line that counts lines of `s.uid` not written, without the newline:
// {"time":...,"event":"suppressed","uid":1002,"denials":5321,"reason":...}, or
// for allows {...,"allows":5321,"tallies":[{"exe":...,"resource":...,
// "permission":...,"allows":5300}],"other_allows":21,"reason":...}.
[[nodiscard]] std::string to_json_line(const Suppressed& s, const LimiterSettings& limits, Lines lines);

// [audit] (credctl.toml(5)), but for the file's path.
struct Settings {
    // A batch that would take the file past this size rotates it first;
    // 0: never rotated (an outside logrotate(8), or a device).
    std::uint64_t max_file_bytes = std::uint64_t{64} << 20;
    // Rotated files kept, path.1 (newest) to path.N; at least 1.
    std::uint32_t keep_files = 4;
    LimiterSettings denials;
    // Allow lines: enough in a row for a stampede of a thousand callers;
    // burst 0: never limited.
    LimiterSettings allows{2000, 20};
    // How long after a denial was suppressed its count is written.
    std::chrono::milliseconds summary_period{1000};
};

class AuditLog {
public:
    // `path` empty: stderr only. Errors: a uid but root and this one may
    // change the file's directory (fs::check_private_dir(): not theirs, or
    // writable by another uid even if sticky) or a directory above it; the
    // file cannot be opened, or is not a regular file owned by this uid (a
    // regular file's mode is set to 0600). Character devices are accepted
    // (/dev/null, a tty) and never rotated. `clock` times the denial limit.
    [[nodiscard]] static Result<std::shared_ptr<AuditLog>> open(const std::string& path, const Settings& settings = {},
                                                                Clock clock = steady_now);

    AuditLog(const AuditLog&) = delete;
    AuditLog& operator=(const AuditLog&) = delete;
    // Writes the counts of suppressed lines and what is still queued.
    ~AuditLog();

    // Queues the line for `r` for the next flush() and returns its number:
    // 1, 2, 3... over the log's life. A line over its uid's rate limit (of
    // denials or of allows) is counted instead, and 0 ("no line") returned;
    // an allow under Limit::exempt is always queued.
    std::uint64_t append(const Record& r, Limit limit);
    // Lines queued and not yet flushed.
    [[nodiscard]] std::size_t queued() const { return queued_lines_; }
    // Whether the queued lines fill a batch: the caller flushes now rather
    // than let a burst grow the buffer (a thousand lines are some 300 kB of
    // fresh memory, touched page by page).
    [[nodiscard]] bool batch_full() const { return queued_.size() >= k_batch_bytes; }
    // Whether a flush() has taken line `number` (0 stands for no line).
    [[nodiscard]] bool flushed(std::uint64_t number) const { return number <= flushed_; }
    // Writes every queued line, to stderr and then to the file, with one
    // write(2) each; rotates the file first when they would take it past
    // its cap (a failed rotation is logged, and the lines still written).
    // Errc::internal, naming the file and why, when the file did not take
    // all of them (disk full, I/O error), so that the caller can fail
    // closed; the lines are not kept for another try. Nothing queued is a
    // success.
    [[nodiscard]] Result<void> flush();
    // append() and flush(): the line, and any queued before it, is written
    // before this returns; flush()'s errors.
    [[nodiscard]] Result<void> write(const Record& r);

    // When lines were suppressed and no summary is due yet: marks one due
    // and returns how long to wait before calling write_summaries(). The
    // caller owns the timer; the log has no thread of its own.
    [[nodiscard]] std::optional<std::chrono::milliseconds> schedule_summary();
    // Queues one "suppressed" line per uid and kind whose lines were counted, and
    // flushes; flush()'s errors.
    [[nodiscard]] Result<void> write_summaries();

    [[nodiscard]] const std::string& path() const { return path_; }

private:
    AuditLog(std::string path, int fd, const Settings& settings, Clock clock)
        : path_(std::move(path)),
          fd_(fd),
          settings_(settings),
          denial_limiter_(settings.denials, clock),
          allow_limiter_(settings.allows, std::move(clock)) {}
    void queue(std::string_view line);
    void queue_summaries();
    [[nodiscard]] bool rotate();
    std::string path_;
    int fd_;
    Settings settings_;
    LineLimiter denial_limiter_;
    LineLimiter allow_limiter_;
    bool rotates_ = false;    // a regular file with a cap
    std::uint64_t size_ = 0;  // bytes in the file, as far as this log knows
    bool summary_due_ = false;
    // The queued lines, each ended by a newline: one buffer for the batch,
    // not one allocation per line held until the flush. Kept between
    // batches up to 64 kB, which a full batch and one more line fit.
    static constexpr std::size_t k_kept_batch_bytes = 64 * 1024;
    static constexpr std::size_t k_batch_bytes = 60 * 1024;
    std::string queued_;
    std::size_t queued_lines_ = 0;
    std::string line_;  // the line being built, its buffer kept
    std::uint64_t appended_ = 0;
    std::uint64_t flushed_ = 0;
};

// A fresh random id for one request ("3f9c0a1b2c3d4e5f").
[[nodiscard]] std::string new_request_id();

}  // namespace credctl::audit
