#include "common/fs/safe_path.hpp"

#include "temp_dir.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <string>

using credctl::fs::check_ancestors;
using credctl::fs::check_private_dir;

namespace {

// A uid that owns nothing here: nobody's.
constexpr uid_t k_foreign_uid = 65534;

// Makes directory `path` with `mode` (the umask aside), owned by `owner`.
void make_dir_for_safe_path(const std::string& path, mode_t mode, uid_t owner) {
    ASSERT_EQ(::mkdir(path.c_str(), 0700), 0) << path;
    ASSERT_EQ(::chmod(path.c_str(), mode), 0) << path;
    if (owner != ::geteuid()) {
        ASSERT_EQ(::chown(path.c_str(), owner, static_cast<gid_t>(-1)), 0) << path;
    }
}

class SafePath : public ::testing::Test {
protected:
    void SetUp() override {
        if (::geteuid() != 0) GTEST_SKIP() << "files of another uid need chown(2), and so root";
    }
    [[nodiscard]] std::string at(const std::string& name) const { return dir_.file(name); }
    credctl::test::TempDir dir_;
};

}  // namespace

TEST_F(SafePath, DirectoriesOfRootAndTheTrustedUidPass) {
    make_dir_for_safe_path(at("a"), 0755, 0);
    make_dir_for_safe_path(at("a/b"), 0700, 4242);
    auto real = check_ancestors(at("a/b/c/credd.sock"), 4242);
    ASSERT_TRUE(real) << real.error().message;
    EXPECT_EQ(*real, at("a/b/c/credd.sock"));  // names that do not exist yet are kept as given
}

TEST_F(SafePath, DirectoryOfAnotherUidIsRefused) {
    make_dir_for_safe_path(at("a"), 0755, k_foreign_uid);
    make_dir_for_safe_path(at("a/b"), 0700, 0);
    auto r = check_ancestors(at("a/b/credd.sock"), 0);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().message,
              "directory " + at("a") +
                  " (owner uid 65534, mode 0755) is owned by another uid; a directory on the way to " +
                  at("a/b/credd.sock") + " must be owned by root");
}

TEST_F(SafePath, NamesTheTrustedUidBesideRoot) {
    make_dir_for_safe_path(at("a"), 0755, k_foreign_uid);
    auto r = check_ancestors(at("a/b"), 4242);
    ASSERT_FALSE(r);
    EXPECT_NE(r.error().message.find("must be owned by root or uid 4242"), std::string::npos) << r.error().message;
}

TEST_F(SafePath, GroupWritableDirectoryIsRefused) {
    make_dir_for_safe_path(at("a"), 0775, 0);
    make_dir_for_safe_path(at("a/b"), 0700, 0);
    auto r = check_ancestors(at("a/b/credd.sock"), 0);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().message, "directory " + at("a") +
                                     " (owner uid 0, mode 0775) is writable by other uids and not sticky; a directory "
                                     "on the way to " +
                                     at("a/b/credd.sock") +
                                     " must be owned by root and writable by no other uid, unless it is sticky");
}

TEST_F(SafePath, WritableDirectoryIsRefusedWhenTheNameIsNotThereYet) {
    make_dir_for_safe_path(at("a"), 0777, 0);
    EXPECT_FALSE(check_ancestors(at("a/run/credd.sock"), 0));
}

TEST_F(SafePath, StickyDirectoryWithAForeignNameIsRefused) {
    make_dir_for_safe_path(at("tmp"), 01777, 0);
    make_dir_for_safe_path(at("tmp/credd-1000"), 0700, k_foreign_uid);
    auto r = check_ancestors(at("tmp/credd-1000/credd.sock"), 1000);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().message, at("tmp/credd-1000") + " is owned by uid 65534 in the sticky directory " + at("tmp") +
                                     " (owner uid 0, mode 1777) that other uids may write; a name on the way to " +
                                     at("tmp/credd-1000/credd.sock") +
                                     " in such a directory must be owned by root or uid 1000");
}

TEST_F(SafePath, StickyDirectoryWithOurNamePasses) {
    make_dir_for_safe_path(at("tmp"), 01777, 0);
    make_dir_for_safe_path(at("tmp/credd-1000"), 0700, 1000);
    EXPECT_TRUE(check_ancestors(at("tmp/credd-1000/credd.sock"), 1000));
    // A name not there yet: its creator checks what it finds.
    EXPECT_TRUE(check_ancestors(at("tmp/credd-1001/credd.sock"), 1001));
}

TEST_F(SafePath, ThePathItselfIsLeftToItsCreator) {
    make_dir_for_safe_path(at("theirs"), 0777, k_foreign_uid);
    EXPECT_TRUE(check_ancestors(at("theirs"), 0));
    EXPECT_FALSE(check_ancestors(at("theirs/credd.sock"), 0));
}

TEST_F(SafePath, SymlinkToADirectoryOfAnotherUidIsRefused) {
    make_dir_for_safe_path(at("theirs"), 0755, k_foreign_uid);
    make_dir_for_safe_path(at("theirs/run"), 0700, 0);
    ASSERT_EQ(::symlink(at("theirs/run").c_str(), at("run").c_str()), 0);
    auto r = check_ancestors(at("run/credd.sock"), 0);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().message.rfind("directory " + at("theirs") + " (owner uid 65534, mode 0755) is owned by", 0), 0U)
        << r.error().message;
}

TEST_F(SafePath, SymlinksToSafeDirectoriesAreResolved) {
    make_dir_for_safe_path(at("var"), 0755, 0);
    make_dir_for_safe_path(at("run"), 0755, 0);
    make_dir_for_safe_path(at("run/credd"), 0700, 0);
    ASSERT_EQ(::symlink("../run", at("var/run").c_str()), 0);
    ASSERT_EQ(::symlink(at("var/run/credd").c_str(), at("link").c_str()), 0);
    auto real = check_ancestors(at("link/credd.sock"), 0);
    ASSERT_TRUE(real) << real.error().message;
    EXPECT_EQ(*real, at("run/credd/credd.sock"));
}

TEST_F(SafePath, ForeignSymlinkInAStickyDirectoryIsRefused) {
    make_dir_for_safe_path(at("tmp"), 01777, 0);
    make_dir_for_safe_path(at("mine"), 0700, 0);
    ASSERT_EQ(::symlink(at("mine").c_str(), at("tmp/run").c_str()), 0);
    ASSERT_EQ(::lchown(at("tmp/run").c_str(), k_foreign_uid, static_cast<gid_t>(-1)), 0);
    auto r = check_ancestors(at("tmp/run/credd.sock"), 0);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().message.rfind(at("tmp/run") + " is owned by uid 65534 in the sticky directory", 0), 0U)
        << r.error().message;
}

TEST_F(SafePath, SymlinkLoopIsAnError) {
    ASSERT_EQ(::symlink(at("b").c_str(), at("a").c_str()), 0);
    ASSERT_EQ(::symlink(at("a").c_str(), at("b").c_str()), 0);
    auto r = check_ancestors(at("a/credd.sock"), 0);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().message, at("a/credd.sock") + ": too many levels of symlinks");
}

TEST_F(SafePath, FileOnTheWayIsNotADirectory) {
    dir_.write("file", "");
    auto r = check_ancestors(at("file/credd.sock"), 0);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().message, at("file") + " is not a directory");
}

TEST(SafePathText, RelativePathIsRefused) {
    auto r = check_ancestors("run/credd.sock", ::geteuid());
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().message, "not an absolute path: \"run/credd.sock\"");
}

TEST_F(SafePath, PrivateDirectoryRefusesAStickyOne) {
    make_dir_for_safe_path(at("logs"), 01777, 0);
    auto r = check_private_dir(at("logs"), 0);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().message, "directory " + at("logs") +
                                     " (owner uid 0, mode 1777) is writable by other uids; it must be owned by root "
                                     "and writable by no other uid");
}

TEST_F(SafePath, PrivateDirectoryRefusesOneOfAnotherUid) {
    make_dir_for_safe_path(at("logs"), 0700, k_foreign_uid);
    auto r = check_private_dir(at("logs"), 4242);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().message, "directory " + at("logs") +
                                     " (owner uid 65534, mode 0700) is owned by another uid; it must be owned by root "
                                     "or uid 4242 and writable by no other uid");
}

TEST_F(SafePath, PrivateDirectoryOfTheTrustedUidPassesThroughASymlink) {
    make_dir_for_safe_path(at("logs"), 0755, 4242);
    ASSERT_EQ(::symlink(at("logs").c_str(), at("log").c_str()), 0);
    auto r = check_private_dir(at("log"), 4242);
    EXPECT_TRUE(r) << r.error().message;
}

TEST_F(SafePath, PrivateDirectoryMustExist) {
    auto r = check_private_dir(at("missing"), 0);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().message, "cannot inspect " + at("missing") + ": No such file or directory");
}
