// Caller identity, taken once when a connection is accepted (SPEC §3).
//
// Read from SO_PEERCRED: the credentials the peer had at connect(2), which
// the kernel records and a later setuid or exec cannot change. The user name
// is resolved from the uid; a uid without a passwd entry has no name and so
// matches no owner rule (deny when not certain).
//
// Thread-safety: identify() is reentrant.
#pragma once

#include "common/error/error.hpp"

#include <sys/types.h>

#include <optional>
#include <string>

namespace credctl::peer {

struct PeerIdentity {
    pid_t pid = 0;
    uid_t uid = 0;
    gid_t gid = 0;
    std::optional<std::string> user;  // login name of uid, when it has one
};

// Errors: internal when the socket has no peer credentials.
[[nodiscard]] Result<PeerIdentity> identify(int socket_fd);

}  // namespace credctl::peer
