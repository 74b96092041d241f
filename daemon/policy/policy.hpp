// Policy: who may do what on which credentials (SPEC §3).
//
// A Policy is an immutable value built from the config; decide() is a pure
// function of the policy, the caller and the request, so it is table-tested
// without a daemon. Deny by default. For now the policy holds only the owner
// rule: the Unix user U may act on credentials/U/*.
//
// Thread-safety: Policy is immutable; decide() is pure.
#pragma once

#include "daemon/peer/peer.hpp"

#include <string>
#include <string_view>

namespace credctl::policy {

// `admin` is credentials:* on credentials/*/* (credctl admin): for now only
// root and the daemon's own uid hold it.
enum class Permission { token, login, read, remove, admin, any_local };

[[nodiscard]] std::string_view to_string(Permission p);  // "credentials:token"

struct Resource {
    std::string user;
    std::string provider;  // empty: all of the user's credentials
};

[[nodiscard]] std::string to_string(const Resource& r);  // "credentials/alice/github"

struct Policy {
    bool owner_access = true;
    uid_t daemon_uid = 0;  // the uid credd runs as; holds `admin`
};

struct Decision {
    bool allowed = false;
    std::string reason;  // the rule that allowed it, or why nothing did
};

[[nodiscard]] Decision decide(const Policy& policy, const peer::PeerIdentity& caller, Permission permission,
                              const Resource& resource);

}  // namespace credctl::policy
