// The audit trail (SPEC §3): one JSON line per policy decision, with time,
// request id, caller (pid, uid, user, exe, unit), resource, permission,
// decision and the grant that decided it. Lines go to the configured file
// (opened O_APPEND, mode 0600) and to stderr for journald. Records carry
// identities and names only; there is no field a token could reach.
//
// Lines are queued and written in batches, each batch with one write(2) to
// the file and one to stderr: at 1000 requests in one turn of the I/O loop,
// two writes per request were a tenth of credd's time (docs/benchmarks.md,
// "Expiry stampede"). The API writes a request's line before its answer
// (daemon/server/api.cpp).
//
// Used by the API's permission check. Thread-safety: I/O thread only; a
// batch of whole lines is one write(2), so concurrent writers never
// interleave within a line.
#pragma once

#include "common/error/error.hpp"
#include "daemon/peer/peer.hpp"

#include <cstdint>
#include <memory>
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

class AuditLog {
public:
    // `path` empty: stderr only. Errors: the file cannot be opened, or is
    // not a regular file owned by this uid (a regular file's mode is set to
    // 0600). Character devices are accepted (/dev/null, a tty).
    [[nodiscard]] static Result<std::shared_ptr<AuditLog>> open(const std::string& path);

    AuditLog(const AuditLog&) = delete;
    AuditLog& operator=(const AuditLog&) = delete;
    // Flushes what is still queued.
    ~AuditLog();

    // Queues the line for `r` for the next flush() and returns its number:
    // 1, 2, 3... over the log's life.
    std::uint64_t append(const Record& r);
    // Lines queued and not yet flushed.
    [[nodiscard]] std::size_t queued() const { return queued_.size(); }
    // Whether a flush() has taken line `number` (0 stands for no line).
    [[nodiscard]] bool flushed(std::uint64_t number) const { return number <= flushed_; }
    // Writes every queued line, to stderr and then to the file, with one
    // write(2) each. False when the file did not take all of them (disk
    // full, I/O error), so that the caller can fail closed; the lines are not
    // kept for another try. True when nothing was queued.
    [[nodiscard]] bool flush();
    // append() and flush(): the line, and any queued before it, is written
    // before this returns.
    [[nodiscard]] bool write(const Record& r);

    [[nodiscard]] const std::string& path() const { return path_; }

private:
    AuditLog(std::string path, int fd) : path_(std::move(path)), fd_(fd) {}
    std::string path_;
    int fd_;
    std::vector<std::string> queued_;
    std::uint64_t appended_ = 0;
    std::uint64_t flushed_ = 0;
};

// A fresh random id for one request ("3f9c0a1b2c3d4e5f").
[[nodiscard]] std::string new_request_id();

}  // namespace credctl::audit
