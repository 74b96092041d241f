#include "daemon/policy/policy.hpp"

#include "support/policy_example.hpp"

#include <gtest/gtest.h>

#include <string>

namespace credctl::policy {
namespace {

using namespace example;

TEST(Policy, GrantsNeedEveryFieldOfOneClientToMatch) {
    const auto nobody = caller("nobody", 65534);
    expect_decisions({
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
    });
}

TEST(Policy, GrantsGiveOnlyTheirRolesPermissions) {
    const auto nobody = caller("nobody", 65534);
    expect_decisions({
        {"role lacks login", with_exe(nobody, "/opt/jobs/bin/sync"), Permission::login, {"alice", "github"}, false, ""},
        {"role lacks delete",
         with_exe(nobody, "/opt/jobs/bin/sync"),
         Permission::remove,
         {"alice", "github"},
         false,
         ""},
    });
}

TEST(Policy, GrantsMatchASystemUnitOnTheResourcesTheyCover) {
    expect_decisions({
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
    });
}

TEST(Policy, GrantsMatchPrimaryOrSupplementaryGroups) {
    expect_decisions({
        {"supplementary group",
         with_groups(caller("bob"), {1}),
         Permission::token,
         {"carol", "anything"},
         true,
         "ops group"},
        {"primary group", caller("daemon", 1), Permission::token, {"carol", "x"}, true, "ops group"},
        {"not in group", with_groups(caller("bob"), {2, 3}), Permission::token, {"carol", "x"}, false, ""},
    });
}

TEST(Policy, ListingNeedsAProviderWildcard) {
    const auto nobody = caller("nobody", 65534);
    expect_decisions({
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
    });
}

TEST(Policy, GrantsPinTheExecutableHashTogetherWithTheOtherFields) {
    expect_decisions({
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
    });
}

TEST(Policy, GrantsMatchAGidAndAnchoredPrefixWildcards) {
    expect_decisions({
        {"gid and prefix wildcard", caller("g", 5000), Permission::token, {"erin", "xyz"}, true, "by gid"},
        {"prefix wildcard anchors", caller("g", 5000), Permission::token, {"erin", "yx"}, false, ""},
    });
}

TEST(Policy, AdministrationNeedsRootTheDaemonOrAGrantOfEverything) {
    expect_decisions({
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
    });
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

TEST(Policy, ALoginGrantNarrowedToCredctlIsWarnedOf) {
    const auto selector = [](std::optional<std::string> user, std::optional<std::string> exe) {
        ClientSelector c;
        c.user = std::move(user);
        c.exe = std::move(exe);
        return c;
    };
    Policy p;
    Grant old_login;
    old_login.name = "alice logs in";
    old_login.permissions = bit(Permission::login) | bit(Permission::token);
    old_login.clients = {selector("alice", "/usr/bin/credctl"), selector("bob", std::nullopt)};
    Grant helper = old_login;
    helper.name = "through the helper";
    helper.clients = {selector(std::nullopt, "/usr/libexec/credctl/credctl-login")};
    Grant tokens_only = old_login;
    tokens_only.name = "tokens from credctl";
    tokens_only.permissions = bit(Permission::token);
    p.grants = {old_login, helper, tokens_only};
    const auto w = login_exe_warnings(p);
    ASSERT_EQ(w.size(), 1U);
    EXPECT_EQ(w[0],
              "grant \"alice logs in\": credentials:login narrowed to exe /usr/bin/credctl matches no login: credctl "
              "login asks as credctl-login (credctl(1) FILES); name that");
}

}  // namespace
}  // namespace credctl::policy
