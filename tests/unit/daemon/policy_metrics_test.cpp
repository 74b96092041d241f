// metrics:read on the resource `metrics` (GET /v1/metrics): held by root and
// credd's own uid, given to others only by a grant naming `metrics`, and
// kept apart from the credentials permissions both ways.
#include "daemon/policy/policy.hpp"

#include "support/policy_example.hpp"
#include "support/policy_fixture.hpp"

#include <gtest/gtest.h>

namespace credctl::policy {
namespace {

using credctl::test::caller;

// docs/policy.md's worked example (policy_example.hpp), whose "backup admin"
// (uid 4100) holds credentials:* on credentials/*/*, plus a role that reads
// metrics, granted on metrics to uid 4200 and, to no effect on metrics, on
// credentials to uid 4300.
const std::string k_config = example::k_config + R"(
[roles.scrape]
permissions = ["metrics:read"]

[[grants]]
name = "prometheus"
roles = ["scrape"]
resources = ["metrics"]
clients = [{ uid = 4200 }]

[[grants]]
name = "scrape on credentials"
roles = ["scrape"]
resources = ["credentials/*/*"]
clients = [{ uid = 4300 }]
)";

const Resource k_metrics{"", "", ResourceKind::metrics};

TEST(PolicyMetrics, RootAndTheDaemonsUidReadMetricsWithoutAGrant) {
    const Policy policy = test::policy_from(k_config);
    for (const auto& who : {caller("root", 0), caller("credd", 777)}) {
        const Decision d = decide(policy, who, Permission::metrics_read, k_metrics);
        EXPECT_TRUE(d.allowed) << *who.user;
        EXPECT_EQ(d.grant, "administrator");
    }
}

TEST(PolicyMetrics, AGrantOnMetricsAllowsItsClientAndNobodyElse) {
    const Policy policy = test::policy_from(k_config);
    const Decision granted = decide(policy, caller("prometheus", 4200), Permission::metrics_read, k_metrics);
    EXPECT_TRUE(granted.allowed);
    EXPECT_EQ(granted.grant, "prometheus");
    const Decision other = decide(policy, caller("alice", 4001), Permission::metrics_read, k_metrics);
    EXPECT_FALSE(other.allowed);
    EXPECT_EQ(
        other.reason,
        "no grant gives metrics:read on metrics to alice (uid 4001); grant \"prometheus\" covers it but uid 4001 is "
        "not 4200");
}

TEST(PolicyMetrics, MetricsAndCredentialsPermissionsDoNotCrossOver) {
    const Policy policy = test::policy_from(k_config);
    EXPECT_FALSE(decide(policy, caller("backup", 4100), Permission::metrics_read, k_metrics).allowed)
        << "credentials:* on credentials/*/* is not metrics:read";
    EXPECT_FALSE(decide(policy, caller("confused", 4300), Permission::metrics_read, k_metrics).allowed)
        << "metrics:read granted on credentials is not on metrics";
    EXPECT_FALSE(decide(policy, caller("prometheus", 4200), Permission::token, {"alice", "github"}).allowed);
    EXPECT_FALSE(decide(policy, caller("prometheus", 4200), Permission::admin, {"*", "*"}).allowed);
}

TEST(PolicyMetrics, TheOwnerRuleGivesNothingOnMetrics) {
    const Decision d = decide(Policy{}, caller("alice", 4001), Permission::metrics_read, k_metrics);
    EXPECT_FALSE(d.allowed);
}

TEST(PolicyMetrics, MetricsIsAResourcePatternOfItsOwnKindAndMetricsReadAPermissionName) {
    const auto p = parse_resource_pattern("metrics");
    ASSERT_TRUE(p.has_value());
    EXPECT_EQ(p->kind, ResourceKind::metrics);
    EXPECT_TRUE(matches(*p, k_metrics));
    EXPECT_FALSE(matches(*p, Resource{"alice", "github"}));
    EXPECT_FALSE(matches(*parse_resource_pattern("credentials/*/*"), k_metrics));
    EXPECT_FALSE(parse_resource_pattern("metrics/x").has_value());
    EXPECT_EQ(to_string(k_metrics), "metrics");
    EXPECT_EQ(parse_permission("metrics:read"), bit(Permission::metrics_read));
    EXPECT_EQ(permission_names(bit(Permission::metrics_read)), std::vector<std::string>{"metrics:read"});
    EXPECT_EQ(permission_names(k_all_permissions | bit(Permission::metrics_read)),
              (std::vector<std::string>{"credentials:*", "metrics:read"}));
    EXPECT_EQ(permission_names(bit(Permission::token) | bit(Permission::read)),
              (std::vector<std::string>{"credentials:token", "credentials:read"}));
}

}  // namespace
}  // namespace credctl::policy
