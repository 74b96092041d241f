// Policy: who may do what on which credentials (docs/policy.md;
// docs/design.md "Permission in one table").
//
// Resources are `credentials/{user}/{provider}`. Roles carry permissions;
// grants give roles, on resource patterns (`*` matches within one segment),
// to clients described by selectors. Within one client selector every given
// field must match; any client of a grant may match. The owner rule (the
// Unix user U holds every permission on credentials/U/*) is on unless
// switched off. Administration (`credentials:*` on `credentials/*/*`) is held
// by root and by the daemon's own uid, and so is `metrics:read` on the
// resource `metrics` (GET /v1/metrics), which grants may give to others.
// Everything else is denied.
//
// A Policy is an immutable value built once from the config (make_policy)
// and swapped whole on reload; decide() is a pure function of the policy, the
// caller and the request, table-tested without a daemon.
//
// Thread-safety: Policy is immutable after make_policy(); decide() is pure.
#pragma once

#include "common/error/error.hpp"
#include "daemon/peer/peer.hpp"

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace credctl::policy {

// What a route needs. `admin` is credentials:* on credentials/*/*;
// `any_local` is open to every local caller (status, providers, whoami);
// `metrics_read` is metrics:read on metrics.
enum class Permission : std::uint8_t { token, login, read, remove, admin, any_local, metrics_read };

[[nodiscard]] std::string_view to_string(Permission p);  // "credentials:token"

// A set of permissions, as a role carries them.
using PermissionSet = std::uint8_t;
[[nodiscard]] constexpr PermissionSet bit(Permission p) {
    return static_cast<PermissionSet>(1U << static_cast<unsigned>(p));
}
constexpr PermissionSet k_all_permissions = bit(Permission::token) | bit(Permission::login) | bit(Permission::read) |
                                            bit(Permission::remove) | bit(Permission::admin);

// "credentials:token" ... "credentials:*", "metrics:read"; std::nullopt for
// anything else. credentials:* does not include metrics:read.
[[nodiscard]] std::optional<PermissionSet> parse_permission(std::string_view text);
[[nodiscard]] std::vector<std::string> permission_names(PermissionSet set);

// What a resource is: someone's credentials, or credd's metrics (one
// resource, `metrics`, with no user or provider).
enum class ResourceKind : std::uint8_t { credentials, metrics };

struct Resource {
    std::string user;      // "*" for every user (administration)
    std::string provider;  // "*" (or empty) for all of the user's credentials
    ResourceKind kind = ResourceKind::credentials;
};

[[nodiscard]] std::string to_string(const Resource& r);  // "credentials/alice/github", "metrics"

// `credentials/USER/PROVIDER` where each segment may contain `*`, or `metrics`.
struct ResourcePattern {
    std::string user;
    std::string provider;
    ResourceKind kind = ResourceKind::credentials;
};

// std::nullopt unless `text` is credentials/SEG/SEG with name characters or
// `*`, or `metrics`. A pattern matches only resources of its kind.
[[nodiscard]] std::optional<ResourcePattern> parse_resource_pattern(std::string_view text);
[[nodiscard]] bool matches(const ResourcePattern& pattern, const Resource& resource);

struct ClientSelector {
    std::optional<uid_t> uid;
    std::optional<std::string> user;
    std::optional<gid_t> gid;    // primary or supplementary
    std::optional<gid_t> group;  // resolved from its name at load
    std::optional<std::string> group_name;
    std::optional<std::string> exe;
    std::optional<std::string> exe_sha256;
    std::optional<std::string> systemd_unit;
};

struct Grant {
    std::string name;
    PermissionSet permissions = 0;  // union of its roles'
    std::vector<std::string> roles;
    std::vector<std::string> resources;  // as written
    std::vector<ResourcePattern> patterns;
    std::vector<ClientSelector> clients;
};

struct Policy {
    bool owner_access = true;
    uid_t daemon_uid = 0;
    std::vector<Grant> grants;
    bool needs_exe_hash = false;  // some client pins exe_sha256
    // Grant indexes by the literal parts of their patterns, so that a
    // decision looks at the few grants that can cover its resource:
    // "alice/github" exact, by user ("alice" with any provider), by
    // provider ("github" for any user), and patterns wild in both.
    std::unordered_map<std::string, std::vector<std::uint32_t>> exact;
    std::unordered_map<std::string, std::vector<std::uint32_t>> by_user;
    std::unordered_map<std::string, std::vector<std::uint32_t>> by_provider;
    std::vector<std::uint32_t> wildcard;
};

// Builds the value decide() works on, with its indexes.
[[nodiscard]] Policy make_policy(bool owner_access, uid_t daemon_uid, std::vector<Grant> grants);

struct Decision {
    bool allowed = false;
    std::string grant;   // the grant that allowed it, "owner", "administrator", or empty
    std::string reason;  // the rule that allowed it, or why nothing did
};

[[nodiscard]] Decision decide(const Policy& policy, const peer::PeerIdentity& caller, Permission permission,
                              const Resource& resource);

// Would the hash of the caller's executable decide this request? True only
// when `caller` is verified, its hash is not known yet, decide() denies
// without it, and a grant covering `permission` on `resource` has a client
// that pins `exe_sha256` and whose every other field matches `caller`: then
// the hash is worth computing (daemon/server/exe_check.hpp), and only then.
[[nodiscard]] bool hash_could_allow(const Policy& policy, const peer::PeerIdentity& caller, Permission permission,
                                    const Resource& resource);

// Does every given field of `client` match `caller`? When not, a forbidden
// error whose message names the first field that does not
// ("exe /usr/bin/curl is not /opt/sync").
[[nodiscard]] Result<void> client_matches(const ClientSelector& client, const peer::PeerIdentity& caller);

// The grants some client of which matches `caller` (for whoami).
[[nodiscard]] std::vector<const Grant*> grants_for(const Policy& policy, const peer::PeerIdentity& caller);

// One line for each client of a grant of credentials:login narrowed to an
// executable named `credctl`: a login is asked for by credctl-login, the
// program `credctl login` runs (credctl(1) FILES), so such a client never
// matches a login. credd logs them when it loads its configuration.
[[nodiscard]] std::vector<std::string> login_exe_warnings(const Policy& policy);

}  // namespace credctl::policy
