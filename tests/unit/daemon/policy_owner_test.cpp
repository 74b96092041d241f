#include "daemon/policy/policy.hpp"

#include "support/policy_example.hpp"

#include <gtest/gtest.h>

namespace credctl::policy {
namespace {

using namespace example;

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

}  // namespace
}  // namespace credctl::policy
