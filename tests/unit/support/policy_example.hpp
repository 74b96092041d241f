// The policy of docs/policy.md's worked example, plus one grant per
// selector, and the helpers the policy tests build callers with. Used by the
// policy_*_test.cpp files only; plain values, no state.
#pragma once

#include "daemon/policy/policy.hpp"

#include "support/policy_fixture.hpp"

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

namespace credctl::policy::example {

using test::caller;

inline constexpr Permission k_owner_permissions[] = {Permission::token, Permission::login, Permission::read,
                                                     Permission::remove};

inline const std::string k_sha_a(64, 'a');
inline const std::string k_sha_b(64, 'b');

// The policy of docs/policy.md's worked example, plus one grant per selector.
inline const std::string k_config = R"(
[roles.reader]
permissions = ["credentials:token", "credentials:read"]

[roles.admin]
permissions = ["credentials:*"]

[[grants]]
name = "nightly"
roles = ["reader"]
resources = ["credentials/alice/github", "credentials/*/gitlab"]
clients = [
  { user = "nobody", exe = "/opt/jobs/bin/sync" },
  { systemd_unit = "nightly-sync.service" },
]

[[grants]]
name = "ops group"
roles = ["reader"]
resources = ["credentials/carol/*"]
clients = [{ group = "daemon" }]

[[grants]]
name = "pinned"
roles = ["reader"]
resources = ["credentials/dave/github"]
clients = [{ uid = 4000, exe_sha256 = ")" +
                                    k_sha_a + R"(" }]

[[grants]]
name = "by gid"
roles = ["reader"]
resources = ["credentials/erin/x*"]
clients = [{ gid = 5000 }]

[[grants]]
name = "backup admin"
roles = ["admin"]
resources = ["credentials/*/*"]
clients = [{ uid = 4100 }]
)";

inline peer::PeerIdentity with_exe(peer::PeerIdentity p, std::string exe) {
    p.exe = std::move(exe);
    return p;
}
inline peer::PeerIdentity with_unit(peer::PeerIdentity p, std::string unit) {
    p.unit = std::move(unit);
    return p;
}
inline peer::PeerIdentity with_sha(peer::PeerIdentity p, std::optional<std::string> sha) {
    p.exe_sha256 = std::move(sha);
    return p;
}
inline peer::PeerIdentity with_groups(peer::PeerIdentity p, std::vector<gid_t> groups) {
    p.groups = std::move(groups);
    return p;
}

struct Case {
    const char* what;
    peer::PeerIdentity who;
    Permission permission;
    Resource resource;
    bool allowed;
    const char* grant;  // expected grant when allowed
};

// Decides every case against k_config: allowed or not, and by which grant.
inline void expect_decisions(const std::vector<Case>& cases) {
    const Policy policy = test::policy_from(k_config);
    for (const auto& c : cases) {
        const Decision d = decide(policy, c.who, c.permission, c.resource);
        EXPECT_EQ(d.allowed, c.allowed) << c.what << ": " << d.reason;
        EXPECT_EQ(d.grant, c.allowed ? c.grant : "") << c.what;
    }
}

}  // namespace credctl::policy::example
