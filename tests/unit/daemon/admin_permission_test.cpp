// Permission::admin (credentials:* on credentials/*/*): root and the
// daemon's own uid only, whatever the owner rule says.
#include "daemon/policy/policy.hpp"

#include <gtest/gtest.h>

namespace credctl::policy {
namespace {

peer::PeerIdentity caller(uid_t uid, std::optional<std::string> user) {
    peer::PeerIdentity p;
    p.uid = uid;
    p.pid = 42;
    p.user = std::move(user);
    return p;
}

TEST(AdminPermission, RootAndTheDaemonUidAreAllowedOthersDenied) {
    Policy p;
    p.daemon_uid = 990;
    EXPECT_TRUE(decide(p, caller(0, "root"), Permission::admin, Resource{"*", "*"}).allowed);
    EXPECT_TRUE(decide(p, caller(990, "credd"), Permission::admin, Resource{"*", "*"}).allowed);
    const auto d = decide(p, caller(1000, "*"), Permission::admin, Resource{"*", "*"});
    EXPECT_FALSE(d.allowed) << "a user named like the resource is not an owner of credentials/*/*";
    EXPECT_EQ(d.reason, "uid 1000 is neither root nor the daemon's uid");
    EXPECT_EQ(to_string(Permission::admin), "credentials:*");
}

}  // namespace
}  // namespace credctl::policy
