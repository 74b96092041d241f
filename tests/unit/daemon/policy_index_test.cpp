#include "daemon/policy/policy.hpp"

#include "support/policy_example.hpp"

#include <gtest/gtest.h>

#include <string>

namespace credctl::policy {
namespace {

using namespace example;

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
    EXPECT_EQ(to_string(Permission::metrics_read), "metrics:read");
    EXPECT_EQ(to_string(Permission::any_local), "local");
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
