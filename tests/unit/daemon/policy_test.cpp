#include "daemon/policy/policy.hpp"

#include "support/policy_fixture.hpp"

#include <gtest/gtest.h>

#include <string>

namespace credctl::policy {
namespace {

using test::caller;

constexpr Permission k_owner_permissions[] = {Permission::token, Permission::login, Permission::read,
                                              Permission::remove};

const std::string k_sha_a(64, 'a');
const std::string k_sha_b(64, 'b');

// The policy of docs/policy.md's worked example, plus one grant per selector.
const std::string k_config = R"(
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

peer::PeerIdentity with_exe(peer::PeerIdentity p, std::string exe) {
    p.exe = std::move(exe);
    return p;
}
peer::PeerIdentity with_unit(peer::PeerIdentity p, std::string unit) {
    p.unit = std::move(unit);
    return p;
}
peer::PeerIdentity with_sha(peer::PeerIdentity p, std::optional<std::string> sha) {
    p.exe_sha256 = std::move(sha);
    return p;
}
peer::PeerIdentity with_groups(peer::PeerIdentity p, std::vector<gid_t> groups) {
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

TEST(Policy, GrantsDecideEachSelectorAsDocumented) {
    const Policy policy = test::policy_from(k_config);
    const auto nobody = caller("nobody", 65534);
    const std::vector<Case> cases = {
        {"user and exe both match",
         with_exe(nobody, "/opt/jobs/bin/sync"),
         Permission::token,
         {"alice", "github"},
         true,
         "nightly"},
        {"user matches, exe does not",
         with_exe(nobody, "/usr/bin/curl"),
         Permission::token,
         {"alice", "github"},
         false,
         ""},
        {"exe matches, user does not",
         with_exe(caller("bob"), "/opt/jobs/bin/sync"),
         Permission::token,
         {"alice", "github"},
         false,
         ""},
        {"exe not resolved", nobody, Permission::token, {"alice", "github"}, false, ""},
        {"role lacks login", with_exe(nobody, "/opt/jobs/bin/sync"), Permission::login, {"alice", "github"}, false, ""},
        {"role lacks delete",
         with_exe(nobody, "/opt/jobs/bin/sync"),
         Permission::remove,
         {"alice", "github"},
         false,
         ""},
        {"second client: unit",
         with_unit(caller("bob"), "nightly-sync.service"),
         Permission::token,
         {"alice", "github"},
         true,
         "nightly"},
        {"unit and wildcard user",
         with_unit(caller("bob"), "nightly-sync.service"),
         Permission::read,
         {"zed", "gitlab"},
         true,
         "nightly"},
        {"wildcard stays in its segment",
         with_unit(caller("bob"), "nightly-sync.service"),
         Permission::token,
         {"zed", "gitlabx"},
         false,
         ""},
        {"other unit", with_unit(caller("bob"), "other.service"), Permission::token, {"alice", "github"}, false, ""},
        {"supplementary group",
         with_groups(caller("bob"), {1}),
         Permission::token,
         {"carol", "anything"},
         true,
         "ops group"},
        {"primary group", caller("daemon", 1), Permission::token, {"carol", "x"}, true, "ops group"},
        {"not in group", with_groups(caller("bob"), {2, 3}), Permission::token, {"carol", "x"}, false, ""},
        {"list by provider wildcard",
         with_groups(caller("bob"), {1}),
         Permission::read,
         {"carol", ""},
         true,
         "ops group"},
        {"list needs a provider wildcard",
         with_exe(nobody, "/opt/jobs/bin/sync"),
         Permission::read,
         {"alice", ""},
         false,
         ""},
        {"hash matches",
         with_sha(caller("u4000", 4000), k_sha_a),
         Permission::token,
         {"dave", "github"},
         true,
         "pinned"},
        {"hash differs", with_sha(caller("u4000", 4000), k_sha_b), Permission::token, {"dave", "github"}, false, ""},
        {"hash unknown",
         with_sha(caller("u4000", 4000), std::nullopt),
         Permission::token,
         {"dave", "github"},
         false,
         ""},
        {"hash matches, uid does not",
         with_sha(caller("u4001", 4001), k_sha_a),
         Permission::token,
         {"dave", "github"},
         false,
         ""},
        {"gid and prefix wildcard", caller("g", 5000), Permission::token, {"erin", "xyz"}, true, "by gid"},
        {"prefix wildcard anchors", caller("g", 5000), Permission::token, {"erin", "yx"}, false, ""},
        {"credentials:* on */* administers",
         caller("backup", 4100),
         Permission::admin,
         {"*", "*"},
         true,
         "backup admin"},
        {"credentials:* covers token",
         caller("backup", 4100),
         Permission::token,
         {"alice", "github"},
         true,
         "backup admin"},
        {"root administers", caller("root", 0), Permission::admin, {"*", "*"}, true, "administrator"},
        {"the daemon's uid administers", caller("credd", 777), Permission::admin, {"*", "*"}, true, "administrator"},
        {"nobody else administers", caller("bob", 4001), Permission::admin, {"*", "*"}, false, ""},
        {"owner does not administer", caller("alice", 4002), Permission::admin, {"*", "*"}, false, ""},
        {"root is not the owner of alice's", caller("root", 0), Permission::token, {"alice", "github"}, false, ""},
    };
    for (const auto& c : cases) {
        const Decision d = decide(policy, c.who, c.permission, c.resource);
        EXPECT_EQ(d.allowed, c.allowed) << c.what << ": " << d.reason;
        EXPECT_EQ(d.grant, c.allowed ? c.grant : "") << c.what;
    }
}

TEST(Policy, DenialNamesTheNearestGrantAndTheFieldThatDiffers) {
    const Policy policy = test::policy_from(k_config);
    const Decision d =
        decide(policy, with_exe(caller("nobody", 65534), "/usr/bin/curl"), Permission::token, {"alice", "github"});
    EXPECT_EQ(d.reason,
              "no grant gives credentials:token on credentials/alice/github to nobody (uid 65534); grant \"nightly\" "
              "covers it but exe /usr/bin/curl is not /opt/jobs/bin/sync");
}

TEST(Policy, ClientMismatchIsForbiddenAndNamesTheFirstFieldThatDiffers) {
    const auto curl = with_exe(caller("bob", 1000), "/usr/bin/curl");
    const auto selector = [](auto set) {
        ClientSelector c;
        set(c);
        return c;
    };
    struct MatchCase {
        const char* what;
        ClientSelector client;
        std::string mismatch;  // empty: matches
    };
    const MatchCase cases[] = {
        {"empty selector", {}, ""},
        {"uid and exe match", selector([](ClientSelector& c) {
             c.uid = 1000;
             c.exe = "/usr/bin/curl";
         }),
         ""},
        {"uid differs first", selector([](ClientSelector& c) {
             c.uid = 1001;
             c.exe = "/opt/sync";
         }),
         "uid 1000 is not 1001"},
        {"user differs", selector([](ClientSelector& c) { c.user = "alice"; }), "user bob is not alice"},
        {"gid missing", selector([](ClientSelector& c) { c.gid = 5000; }), "not in gid 5000"},
        {"exe differs", selector([](ClientSelector& c) {
             c.uid = 1000;
             c.exe = "/opt/sync";
         }),
         "exe /usr/bin/curl is not /opt/sync"},
        {"unit unknown", selector([](ClientSelector& c) { c.systemd_unit = "x.service"; }),
         "systemd_unit not known for certain is not x.service"},
    };
    for (const auto& c : cases) {
        const auto m = client_matches(c.client, curl);
        if (c.mismatch.empty()) {
            EXPECT_TRUE(m.has_value()) << c.what << ": " << m.error().message;
            continue;
        }
        ASSERT_FALSE(m.has_value()) << c.what;
        EXPECT_EQ(m.error().code, Errc::forbidden) << c.what;
        EXPECT_EQ(m.error().message, c.mismatch) << c.what;
    }
}

TEST(Policy, DenialWithoutAnyCoveringGrantSaysSo) {
    const Decision d = decide(Policy{}, caller("bob"), Permission::token, {"alice", "mail"});
    EXPECT_EQ(d.reason, "no grant gives credentials:token on credentials/alice/mail to bob (uid 1000)");
}

TEST(Policy, UnresolvedFieldIsShownAsNotKnown) {
    const Decision d =
        decide(test::policy_from(k_config), caller("nobody", 65534), Permission::token, {"alice", "github"});
    EXPECT_NE(d.reason.find("exe not known for certain is not /opt/jobs/bin/sync"), std::string::npos) << d.reason;
}

TEST(Policy, CallerThatExitedIsDeniedEvenAsOwner) {
    auto gone = caller("alice");
    gone.verified = false;
    for (Permission perm : k_owner_permissions) {
        const Decision d = decide(Policy{}, gone, perm, Resource{"alice", "github"});
        EXPECT_FALSE(d.allowed);
        EXPECT_EQ(d.reason, "the calling process exited before it could be identified");
    }
    EXPECT_TRUE(decide(Policy{}, gone, Permission::any_local, Resource{}).allowed);
}

TEST(Policy, OwnerIsAllowedEveryCredentialPermission) {
    for (Permission perm : k_owner_permissions) {
        const Decision d = decide(Policy{}, caller("alice"), perm, Resource{"alice", "github"});
        EXPECT_TRUE(d.allowed) << to_string(perm);
        EXPECT_EQ(d.grant, "owner");
    }
}

TEST(Policy, OwnerIsAllowedOnAllOfTheirCredentials) {
    EXPECT_TRUE(decide(Policy{}, caller("alice"), Permission::read, Resource{"alice", ""}).allowed);
}

TEST(Policy, OtherUserIsDeniedAndReasonNamesBoth) {
    for (Permission perm : k_owner_permissions) {
        const Decision d = decide(Policy{}, caller("bob"), perm, Resource{"alice", "github"});
        EXPECT_FALSE(d.allowed) << to_string(perm);
        EXPECT_NE(d.reason.find("bob"), std::string::npos) << d.reason;
        EXPECT_NE(d.reason.find("alice"), std::string::npos) << d.reason;
    }
}

TEST(Policy, CallerWithoutUserNameIsDenied) {
    for (Permission perm : k_owner_permissions) {
        const Decision d = decide(Policy{}, caller(std::nullopt, 4242), perm, Resource{"alice", "github"});
        EXPECT_FALSE(d.allowed) << to_string(perm);
        EXPECT_EQ(d.reason, "uid 4242 has no user name and no grant allows it");
    }
}

TEST(Policy, CallerWithoutUserNameCanStillMatchAUidGrant) {
    const Policy policy = test::policy_from(k_config);
    EXPECT_TRUE(decide(policy, caller(std::nullopt, 4100), Permission::token, Resource{"alice", "github"}).allowed);
}

TEST(Policy, OwnerAccessSwitchedOffDeniesOwner) {
    Policy off;
    off.owner_access = false;
    for (Permission perm : k_owner_permissions) {
        const Decision d = decide(off, caller("alice"), perm, Resource{"alice", "github"});
        EXPECT_FALSE(d.allowed) << to_string(perm);
        EXPECT_EQ(d.reason, "the owner rule is switched off and no grant allows it");
    }
}

TEST(Policy, OwnerAccessOffStillLetsGrantsAllow) {
    const Policy policy = test::policy_from("owner_access = false\n" + k_config);
    EXPECT_FALSE(policy.owner_access);
    EXPECT_TRUE(decide(policy, caller("backup", 4100), Permission::token, Resource{"alice", "github"}).allowed);
    EXPECT_FALSE(decide(policy, caller("alice", 4003), Permission::token, Resource{"alice", "github"}).allowed);
}

TEST(Policy, AnyLocalIsAllowedForAnyone) {
    Policy off;
    off.owner_access = false;
    EXPECT_TRUE(decide(Policy{}, caller("alice"), Permission::any_local, Resource{}).allowed);
    EXPECT_TRUE(decide(Policy{}, caller("bob"), Permission::any_local, Resource{"alice", "x"}).allowed);
    EXPECT_TRUE(decide(Policy{}, caller(std::nullopt), Permission::any_local, Resource{}).allowed);
    EXPECT_TRUE(decide(off, caller("alice"), Permission::any_local, Resource{}).allowed);
}

TEST(Policy, UserNameComparisonIsCaseSensitive) {
    EXPECT_FALSE(decide(Policy{}, caller("Alice"), Permission::token, Resource{"alice", "github"}).allowed);
}

TEST(Policy, FirstMatchingGrantInConfigOrderIsReported) {
    const Policy policy = test::policy_from(R"(
[roles.r]
permissions = ["credentials:token"]
[[grants]]
name = "wild"
roles = ["r"]
resources = ["credentials/*/github"]
clients = [{ uid = 10 }]
[[grants]]
name = "exact"
roles = ["r"]
resources = ["credentials/alice/github"]
clients = [{ uid = 10 }]
)");
    EXPECT_EQ(decide(policy, caller("ten", 10), Permission::token, {"alice", "github"}).grant, "wild");
}

TEST(Policy, GrantsForListsOnlyGrantsWhoseClientMatches) {
    const Policy policy = test::policy_from(k_config);
    const auto grants = grants_for(policy, with_groups(caller("bob"), {1}));
    ASSERT_EQ(grants.size(), 1U);
    EXPECT_EQ(grants[0]->name, "ops group");
}

struct HashCase {
    const char* what;
    peer::PeerIdentity who;
    Permission permission;
    Resource resource;
    bool worth_hashing;
};

TEST(Policy, HashIsWorthComputingOnlyWhenAPinnedClientsOtherFieldsMatch) {
    const Policy policy = test::policy_from(k_config);
    auto unverified = caller("u4000", 4000);
    unverified.verified = false;
    const std::vector<HashCase> cases = {
        {"uid matches the pinned client, hash not known yet",
         caller("u4000", 4000),
         Permission::token,
         {"dave", "github"},
         true},
        {"hash already known", with_sha(caller("u4000", 4000), k_sha_b), Permission::token, {"dave", "github"}, false},
        {"another uid: no hash could make it match",
         caller("u4001", 4001),
         Permission::token,
         {"dave", "github"},
         false},
        {"a resource the pinned grant does not cover",
         caller("u4000", 4000),
         Permission::token,
         {"dave", "gitlab"},
         false},
        {"a permission the pinned grant does not give",
         caller("u4000", 4000),
         Permission::remove,
         {"dave", "github"},
         false},
        {"already allowed without a hash (the owner rule)",
         caller("dave", 4000),
         Permission::token,
         {"dave", "github"},
         false},
        {"a caller that could not be verified", unverified, Permission::token, {"dave", "github"}, false},
        {"a route open to every local caller", caller("u4000", 4000), Permission::any_local, {"*", "*"}, false},
    };
    for (const auto& c : cases) {
        EXPECT_EQ(hash_could_allow(policy, c.who, c.permission, c.resource), c.worth_hashing) << c.what;
    }
}

TEST(Policy, HashIsNeverWorthComputingWithoutAPinnedGrant) {
    const Policy policy = make_policy(true, 0, {});
    EXPECT_FALSE(hash_could_allow(policy, caller("u4000", 4000), Permission::token, {"dave", "github"}));
}

TEST(Policy, MakePolicyIndexesExactAndWildcardPatterns) {
    const Policy policy = test::policy_from(k_config);
    EXPECT_EQ(policy.exact.count("alice/github"), 1U);
    EXPECT_EQ(policy.exact.count("dave/github"), 1U);
    EXPECT_EQ(policy.by_provider.count("gitlab"), 1U);          // credentials/*/gitlab
    EXPECT_EQ(policy.by_user.count("carol"), 1U);               // credentials/carol/*
    EXPECT_EQ(policy.by_user.count("erin"), 1U);                // credentials/erin/x*
    EXPECT_EQ(policy.wildcard, std::vector<std::uint32_t>{4});  // backup admin: credentials/*/*
    EXPECT_TRUE(policy.needs_exe_hash);
    EXPECT_FALSE(Policy{}.needs_exe_hash);
}

TEST(Policy, ResourcePatternsParseOnlyCredentialsUserProvider) {
    EXPECT_TRUE(parse_resource_pattern("credentials/alice/github"));
    EXPECT_TRUE(parse_resource_pattern("credentials/*/*"));
    EXPECT_TRUE(parse_resource_pattern("credentials/al*/git*"));
    EXPECT_FALSE(parse_resource_pattern("credentials/alice"));
    EXPECT_FALSE(parse_resource_pattern("credentials/alice/github/x"));
    EXPECT_FALSE(parse_resource_pattern("secrets/alice/github"));
    EXPECT_FALSE(parse_resource_pattern("credentials//github"));
    EXPECT_FALSE(parse_resource_pattern("credentials/../github"));
}

TEST(Policy, PermissionSpellings) {
    EXPECT_EQ(to_string(Permission::token), "credentials:token");
    EXPECT_EQ(to_string(Permission::login), "credentials:login");
    EXPECT_EQ(to_string(Permission::read), "credentials:read");
    EXPECT_EQ(to_string(Permission::remove), "credentials:delete");
    EXPECT_EQ(to_string(Permission::admin), "credentials:*");
    EXPECT_EQ(parse_permission("credentials:*"), k_all_permissions);
    EXPECT_EQ(parse_permission("credentials:delete"), bit(Permission::remove));
    EXPECT_FALSE(parse_permission("credentials:write"));
    EXPECT_EQ(permission_names(bit(Permission::token) | bit(Permission::read)),
              (std::vector<std::string>{"credentials:token", "credentials:read"}));
    EXPECT_EQ(permission_names(k_all_permissions), std::vector<std::string>{"credentials:*"});
    EXPECT_EQ(to_string(Resource{"alice", "github"}), "credentials/alice/github");
    EXPECT_EQ(to_string(Resource{"alice", ""}), "credentials/alice/*");
}

}  // namespace
}  // namespace credctl::policy
