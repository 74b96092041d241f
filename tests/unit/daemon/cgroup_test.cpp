#include "daemon/peer/cgroup.hpp"

#include <gtest/gtest.h>

namespace credctl::peer {
namespace {

TEST(Cgroup, UnifiedHierarchyNamesTheService) {
    EXPECT_EQ(unit_from_cgroup("0::/system.slice/nightly-sync.service\n"), "nightly-sync.service");
}

TEST(Cgroup, UserUnitInsideUserManager) {
    EXPECT_EQ(unit_from_cgroup("0::/user.slice/user-1000.slice/user@1000.service/app.slice/sync.service\n"),
              "sync.service");
}

TEST(Cgroup, DelegatedSubCgroupBelongsToItsUnit) {
    EXPECT_EQ(unit_from_cgroup("0::/system.slice/runner.service/worker-3\n"), "runner.service");
}

TEST(Cgroup, ScopeIsAUnit) {
    EXPECT_EQ(unit_from_cgroup("0::/user.slice/user-1000.slice/session-4.scope\n"), "session-4.scope");
}

TEST(Cgroup, HybridSystemUsesTheSystemdHierarchyWhenUnifiedHasNoUnit) {
    EXPECT_EQ(unit_from_cgroup("9:name=systemd:/system.slice/cron.service\n4:memory:/x\n0::/\n"), "cron.service");
}

TEST(Cgroup, UnifiedWinsOverTheSystemdHierarchy) {
    EXPECT_EQ(unit_from_cgroup("1:name=systemd:/system.slice/a.service\n0::/system.slice/b.service\n"), "b.service");
}

TEST(Cgroup, NoUnitAnywhereIsUnknown) {
    EXPECT_FALSE(unit_from_cgroup("0::/\n"));
    EXPECT_FALSE(unit_from_cgroup("0::/docker/1234abcd\n"));
    EXPECT_FALSE(unit_from_cgroup("4:memory:/system.slice/a.service\n"));  // a controller's path is not systemd's
    EXPECT_FALSE(unit_from_cgroup(""));
    EXPECT_FALSE(unit_from_cgroup("garbage without colons"));
    EXPECT_FALSE(unit_from_cgroup("0::/system.slice/.service\n"));  // a bare suffix is no unit name
}

TEST(Cgroup, SliceIsNotAProcessUnit) {
    EXPECT_FALSE(unit_from_cgroup("0::/system.slice\n"));
}

}  // namespace
}  // namespace credctl::peer
