// The audit trail (SPEC §3): one JSON line per policy decision, with time,
// request id, caller (pid, uid, user, exe, unit), resource, permission,
// decision and the grant that decided it. Lines go to the configured file
// (opened O_APPEND, mode 0600) and to stderr for journald. Records carry
// identities and names only; there is no field a token could reach.
//
// Used by the API's permission check. Thread-safety: I/O thread only; each
// line is one write(2), so concurrent writers never interleave within a line.
#pragma once

#include "common/error/error.hpp"
#include "daemon/peer/peer.hpp"

#include <memory>
#include <string>
#include <string_view>

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
    ~AuditLog();

    // Writes the line everywhere; false when the file did not take all of it
    // (disk full, I/O error), so that the caller can fail closed.
    [[nodiscard]] bool write(const Record& r);

    [[nodiscard]] const std::string& path() const { return path_; }

private:
    AuditLog(std::string path, int fd) : path_(std::move(path)), fd_(fd) {}
    std::string path_;
    int fd_;
};

// A fresh random id for one request ("3f9c0a1b2c3d4e5f").
[[nodiscard]] std::string new_request_id();

}  // namespace credctl::audit
