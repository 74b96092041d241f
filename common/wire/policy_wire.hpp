// Wire types of the policy routes (docs/api.md): GET /v1/whoami and
// POST /v1/policy/check. Never carry a secret. Same plain-struct style as
// wire.hpp; Boost.JSON stays in the .cpp.
//
// Thread-safety: pure functions on values.
#pragma once

#include "common/error/error.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace credctl::wire {

// How the daemon sees a caller.
struct Identity {
    std::int64_t pid = 0;
    std::int64_t uid = 0;
    std::int64_t gid = 0;
    std::vector<std::int64_t> groups;
    std::optional<std::string> user;
    std::optional<std::string> exe;
    std::optional<std::string> exe_sha256;
    std::optional<std::string> systemd_unit;
    bool verified = false;
    std::string liveness;  // "pidfd" | "start time"
};

struct GrantSummary {
    std::string name;
    std::vector<std::string> permissions;
    std::vector<std::string> resources;
};

struct Whoami {
    Identity identity;
    bool owner_access = true;
    std::vector<GrantSummary> grants;  // grants with a client matching the caller
};

// POST /v1/policy/check: would this caller get `permission` on the resource?
struct PolicyCheck {
    std::string user;
    std::string provider;
    std::string permission = "credentials:token";
    std::optional<std::int64_t> as_uid;  // absent: the caller itself
    std::optional<std::string> exe;
    std::optional<std::string> systemd_unit;
};

struct PolicyDecision {
    bool allowed = false;
    std::string resource;
    std::string permission;
    std::string grant;  // "" when denied
    std::string reason;
    Identity identity;  // the identity that was checked
};

[[nodiscard]] std::string to_json(const Whoami& v);
[[nodiscard]] Result<Whoami> parse_whoami(std::string_view body);

[[nodiscard]] std::string to_json(const PolicyCheck& v);
[[nodiscard]] Result<PolicyCheck> parse_policy_check(std::string_view body);

[[nodiscard]] std::string to_json(const PolicyDecision& v);
[[nodiscard]] Result<PolicyDecision> parse_policy_decision(std::string_view body);

}  // namespace credctl::wire
