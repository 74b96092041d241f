// Caller identity, taken once when a connection is accepted
// (docs/design.md "Identity at accept", docs/policy.md "How credd knows who
// is asking").
//
// uid, gid and pid come from SO_PEERCRED and the supplementary groups from
// SO_PEERGROUPS: the credentials the peer had at connect(2), recorded by the
// kernel, which a later setuid or exec cannot change. These, and the systemd
// unit, are the security boundary.
//
// The executable and the unit are read from /proc/<pid>, which names a pid,
// not a process: the pid could be reused between connect(2) and the read. So
// a pidfd taken from the socket (SO_PEERPIDFD, Linux 6.5) is checked after
// the reads to still refer to a live process; while it lives, its pid cannot
// be reused, so what was read was read from the caller. A dead caller gets
// `verified == false` and nothing from /proc. Without SO_PEERPIDFD the
// process start time is read when the connection is accepted
// (peer_credentials()) and again after the reads instead, which cannot tell
// a pid reused before the first of them (weaker; credd(8) says so). Read at
// accept, not when the connection is identified: a connection may wait
// before that (the server's per-uid limit), and a caller that exits
// meanwhile would leave its pid free for another process to take, with
// all the time it needs to arrange that.
//
// `exe` and `exe_sha256` can only narrow a grant, never widen one: a process
// may connect and then exec an allowed binary, so the executable seen at
// accept is the one running *now*, not necessarily the one that connected.
//
// The executable's hash is not computed here: when some grant pins one,
// identify() keeps /proc/<pid>/exe open (opened before the liveness check,
// so it is the file the verified caller runs) for the hash to be computed
// later, off the I/O thread and only when it could decide a request
// (daemon/peer/exe_hasher.hpp, daemon/server/exe_check.hpp).
//
// Thread-safety: identify() and peer_credentials() are reentrant (identify() uses
// the caller's UserNames, one per thread); hypothetical() uses the caller's
// ExeHashCache, one per thread.
#pragma once

#include "common/error/error.hpp"
#include "daemon/peer/exe_hash.hpp"
#include "daemon/peer/user_names.hpp"

#include <sys/types.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace credctl::peer {

enum class Liveness { pidfd, start_time };

struct PeerIdentity {
    pid_t pid = 0;
    uid_t uid = 0;
    gid_t gid = 0;
    std::vector<gid_t> groups;        // supplementary groups at connect
    std::optional<std::string> user;  // login name of uid, when it has one
    // The owner whose subordinate uid `uid` is (subordinate_uids.hpp), set
    // by the server: its limits are counted with that owner's.
    std::optional<uid_t> subordinate_of;
    // Resolved from /proc and verified; std::nullopt when not certain.
    std::optional<std::string> exe;         // absolute path
    std::optional<std::string> exe_sha256;  // computed on demand
    std::optional<std::string> unit;        // systemd unit, e.g. "nightly-sync.service"
    // The verified executable, open, to be hashed on demand; null unless
    // asked for.
    std::shared_ptr<const OpenExe> exe_file;
    // The process that connected was still alive after /proc was read.
    bool verified = true;
    Liveness liveness = Liveness::pidfd;

    [[nodiscard]] bool in_group(gid_t g) const;
};

[[nodiscard]] std::string_view to_string(Liveness l);  // "pidfd", "start time"

// Whether getsockopt(SO_PEERPIDFD) failing with `getsockopt_errno` means the
// kernel lacks the option (ENOPROTOOPT only), so that the start-time check
// applies. Every other errno (EINVAL, ESRCH, ENODATA: the caller is gone)
// leaves the caller unverified.
[[nodiscard]] bool pidfd_unsupported(int getsockopt_errno);

// Whether the process of `pidfd` has not exited: identify()'s check. It
// needs no permission over the process and no system call that a filter
// may refuse but poll(2).
[[nodiscard]] bool pidfd_alive(int pidfd);

// The pid, uid and gid of the peer of `socket_fd` (SO_PEERCRED): the
// kernel's record of them at connect(2). The server counts its limits by the
// uid before any other identification work, then passes them to identify().
// Where the kernel lacks SO_PEERPIDFD (or `check` is Liveness::start_time),
// also the caller's start time, for identify()'s check.
// Errors: internal when the socket has no peer credentials.
struct PeerCredentials {
    pid_t pid = 0;
    uid_t uid = 0;
    gid_t gid = 0;
    std::optional<std::string> started;  // the start time at accept, where it is the liveness check
    // Whether `started` was read: std::nullopt then means the caller was
    // already gone at accept, and its pid may be another process's since.
    bool start_time_read = false;
};
[[nodiscard]] Result<PeerCredentials> peer_credentials(int socket_fd, Liveness check = Liveness::pidfd);

// The identity of the peer of `socket_fd`, whose SO_PEERCRED `cred` holds.
// With `keep_exe` (some grant pins a hash), the verified executable is kept
// open in `exe_file`. The login name comes from `names` when given (the
// server's cache, user_names.hpp), else from NSS. `check` is Liveness::pidfd
// except to exercise the older kernels' path.
[[nodiscard]] PeerIdentity identify(int socket_fd, const PeerCredentials& cred, bool keep_exe,
                                    UserNames* names = nullptr, Liveness check = Liveness::pidfd);

// peer_credentials(), then identify(). Errors: as peer_credentials().
[[nodiscard]] Result<PeerIdentity> identify(int socket_fd, bool keep_exe, UserNames* names = nullptr,
                                            Liveness check = Liveness::pidfd);

// The identity a process of `uid` would have (its passwd name, primary group
// and group list), with `exe` hashed if it is given and names a readable
// regular file (opened without blocking and without following a final
// symlink, so a FIFO or a device answers at once, unhashed). For
// `credctl policy check --as-uid`; not a live process, so `verified`.
[[nodiscard]] PeerIdentity hypothetical(uid_t uid, std::optional<std::string> exe, std::optional<std::string> unit,
                                        ExeHashCache& hashes);

}  // namespace credctl::peer
