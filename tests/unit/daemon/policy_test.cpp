#include "daemon/policy/policy.hpp"

#include <gtest/gtest.h>

#include <string>

namespace credctl::policy {
namespace {

peer::PeerIdentity caller(std::optional<std::string> user, uid_t uid = 1000) {
    peer::PeerIdentity p;
    p.pid = 42;
    p.uid = uid;
    p.gid = uid;
    p.user = std::move(user);
    return p;
}

constexpr Permission k_owner_permissions[] = {Permission::token, Permission::login, Permission::read,
                                              Permission::remove};

TEST(Policy, OwnerIsAllowedEveryCredentialPermission) {
    for (Permission perm : k_owner_permissions) {
        const Decision d = decide(Policy{}, caller("alice"), perm, Resource{"alice", "github"});
        EXPECT_TRUE(d.allowed) << to_string(perm);
        EXPECT_EQ(d.reason, "owner");
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
        EXPECT_EQ(d.reason, "uid 4242 has no user name");
    }
}

TEST(Policy, OwnerAccessSwitchedOffDeniesOwner) {
    for (Permission perm : k_owner_permissions) {
        const Decision d = decide(Policy{false}, caller("alice"), perm, Resource{"alice", "github"});
        EXPECT_FALSE(d.allowed) << to_string(perm);
        EXPECT_EQ(d.reason, "the owner rule is switched off");
    }
}

TEST(Policy, AnyLocalIsAllowedForAnyone) {
    EXPECT_TRUE(decide(Policy{}, caller("alice"), Permission::any_local, Resource{}).allowed);
    EXPECT_TRUE(decide(Policy{}, caller("bob"), Permission::any_local, Resource{"alice", "x"}).allowed);
    EXPECT_TRUE(decide(Policy{}, caller(std::nullopt), Permission::any_local, Resource{}).allowed);
    EXPECT_TRUE(decide(Policy{false}, caller("alice"), Permission::any_local, Resource{}).allowed);
}

TEST(Policy, UserNameComparisonIsCaseSensitive) {
    // A named caller never owns a resource whose user differs, even by case.
    EXPECT_FALSE(decide(Policy{}, caller("Alice"), Permission::token, Resource{"alice", "github"}).allowed);
}

TEST(Policy, PermissionAndResourceSpellings) {
    EXPECT_EQ(to_string(Permission::token), "credentials:token");
    EXPECT_EQ(to_string(Permission::login), "credentials:login");
    EXPECT_EQ(to_string(Permission::read), "credentials:read");
    EXPECT_EQ(to_string(Permission::remove), "credentials:delete");
    EXPECT_EQ(to_string(Resource{"alice", "github"}), "credentials/alice/github");
    EXPECT_EQ(to_string(Resource{"alice", ""}), "credentials/alice/*");
}

}  // namespace
}  // namespace credctl::policy
