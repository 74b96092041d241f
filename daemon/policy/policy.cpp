#include "daemon/policy/policy.hpp"

namespace credctl::policy {

std::string_view to_string(Permission p) {
    switch (p) {
        case Permission::token: return "credentials:token";
        case Permission::login: return "credentials:login";
        case Permission::read: return "credentials:read";
        case Permission::remove: return "credentials:delete";
        case Permission::admin: return "credentials:*";
        case Permission::any_local: return "local";
    }
    return "unknown";
}

std::string to_string(const Resource& r) {
    return "credentials/" + r.user + "/" + (r.provider.empty() ? std::string("*") : r.provider);
}

Decision decide(const Policy& policy, const peer::PeerIdentity& caller, Permission permission,
                const Resource& resource) {
    if (permission == Permission::any_local) return {true, "open to every local caller"};
    if (permission == Permission::admin) {
        if (caller.uid == 0) return {true, "root"};
        if (caller.uid == policy.daemon_uid) return {true, "the daemon's own uid"};
        return {false, "uid " + std::to_string(caller.uid) + " is neither root nor the daemon's uid"};
    }
    if (!caller.user) return {false, "uid " + std::to_string(caller.uid) + " has no user name"};
    if (policy.owner_access && *caller.user == resource.user) return {true, "owner"};
    if (!policy.owner_access && *caller.user == resource.user) return {false, "the owner rule is switched off"};
    return {false, "user " + *caller.user + " is not " + resource.user + " and no grant allows it"};
}

}  // namespace credctl::policy
