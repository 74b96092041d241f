#include "daemon/peer/cgroup.hpp"

#include <gtest/gtest.h>

namespace credctl::peer {
namespace {

TEST(Cgroup, UnifiedHierarchyNamesTheService) {
    EXPECT_EQ(unit_from_cgroup("0::/system.slice/nightly-sync.service\n"), "nightly-sync.service");
}

// systemd delegates user@UID.service to the user: every cgroup below it is
// named by the user, so the system unit is the user's manager, whatever the
// leaf is called.
TEST(Cgroup, CgroupInsideUserManagerBelongsToTheUserManager) {
    EXPECT_EQ(unit_from_cgroup("0::/user.slice/user-1000.slice/user@1000.service/app.slice/nightly-sync.service\n"),
              "user@1000.service");
    EXPECT_EQ(unit_from_cgroup("0::/user.slice/user-1000.slice/user@1000.service/nightly-sync.service\n"),
              "user@1000.service");
}

TEST(Cgroup, UnitNamedSubCgroupOfADelegatedServiceIsThatService) {
    EXPECT_EQ(unit_from_cgroup("0::/system.slice/runner.service/worker-3\n"), "runner.service");
    EXPECT_EQ(unit_from_cgroup("0::/system.slice/runner.service/nightly-sync.service\n"), "runner.service");
}

TEST(Cgroup, SessionScopeIsAUnit) {
    EXPECT_EQ(unit_from_cgroup("0::/user.slice/user-1000.slice/session-4.scope\n"), "session-4.scope");
}

TEST(Cgroup, NestedSlicesAreSkipped) {
    EXPECT_EQ(unit_from_cgroup("0::/a.slice/a-b.slice/a-b-c.slice/job.service\n"), "job.service");
    EXPECT_EQ(unit_from_cgroup("0::/init.scope\n"), "init.scope");
}

TEST(Cgroup, UnitDirectlyUnderTheRootIsThatUnit) {
    EXPECT_EQ(unit_from_cgroup("0::/nightly-sync.service\n"), "nightly-sync.service");
}

TEST(Cgroup, EscapedCgroupNameIsUnescaped) {
    EXPECT_EQ(unit_from_cgroup("0::/system.slice/_cpu.service\n"), "cpu.service");
}

TEST(Cgroup, HybridSystemUsesTheSystemdHierarchyWhenUnifiedHasNoUnit) {
    EXPECT_EQ(unit_from_cgroup("9:name=systemd:/system.slice/cron.service\n4:memory:/x\n0::/\n"), "cron.service");
}

TEST(Cgroup, HybridSystemdHierarchyAlsoStopsAtTheUserManager) {
    EXPECT_EQ(unit_from_cgroup("1:name=systemd:/user.slice/user-7.slice/user@7.service/x.service\n0::/\n"),
              "user@7.service");
}

TEST(Cgroup, UnifiedWinsOverTheSystemdHierarchy) {
    EXPECT_EQ(unit_from_cgroup("1:name=systemd:/system.slice/a.service\n0::/system.slice/b.service\n"), "b.service");
}

TEST(Cgroup, NoUnitAnywhereIsUnknown) {
    EXPECT_FALSE(unit_from_cgroup("0::/\n"));
    EXPECT_FALSE(unit_from_cgroup("4:memory:/system.slice/a.service\n"));  // a controller's path is not systemd's
    EXPECT_FALSE(unit_from_cgroup(""));
    EXPECT_FALSE(unit_from_cgroup("garbage without colons"));
    EXPECT_FALSE(unit_from_cgroup("0::/system.slice/.service\n"));  // a bare suffix is no unit name
}

TEST(Cgroup, FirstComponentThatIsNeitherSliceNorUnitMeansNoUnit) {
    EXPECT_FALSE(unit_from_cgroup("0::/docker/1234abcd\n"));
    EXPECT_FALSE(unit_from_cgroup("0::/docker/1234abcd/nightly-sync.service\n"));
    EXPECT_FALSE(unit_from_cgroup("0::/system.slice/my cgroup/nightly-sync.service\n"));
}

TEST(Cgroup, NameWithCharactersSystemdRejectsIsNoUnit) {
    EXPECT_FALSE(unit_from_cgroup("0::/system.slice/night ly.service\n"));
    EXPECT_FALSE(unit_from_cgroup("0::/system.slice/" + std::string(256, 'a') + ".service\n"));
}

TEST(Cgroup, SliceIsNotAProcessUnit) {
    EXPECT_FALSE(unit_from_cgroup("0::/system.slice\n"));
    EXPECT_FALSE(unit_from_cgroup("0::/user.slice/user-1000.slice\n"));
}

TEST(Cgroup, PathFunctionAppliesTheSameRule) {
    EXPECT_EQ(unit_from_cgroup_path("/system.slice/x.service/worker"), "x.service");
    EXPECT_EQ(unit_from_cgroup_path("/user.slice/user-1000.slice/user@1000.service/app.slice/y.service"),
              "user@1000.service");
    EXPECT_FALSE(unit_from_cgroup_path("/"));
}

TEST(Cgroup, ProcessUnitNamesAreServicesScopesAndSocketsSystemdAccepts) {
    for (const char* ok : {"a.service", "user@1000.service", "session-4.scope", "sshd.socket", "a:b_c\\x2d.service"}) {
        EXPECT_TRUE(is_process_unit_name(ok)) << ok;
    }
    for (const char* no : {"", ".service", "x.slice", "x.timer", "x/y.service", "a b.service", "x.service/"}) {
        EXPECT_FALSE(is_process_unit_name(no)) << no;
    }
}

}  // namespace
}  // namespace credctl::peer
