#include "daemon/store/master_key.hpp"

#include "daemon/store/sealer.hpp"
#include "temp_dir.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <string>

namespace credctl::store {
namespace {

using credctl::test::TempDir;

TEST(MasterKey, AllowCreatesA32Byte0600File) {
    TempDir dir;
    const std::string path = dir.file("master.key");
    auto key = load_master_key(path, KeyCreation::allow);
    ASSERT_TRUE(key.has_value()) << key.error().message;
    EXPECT_EQ(key->size(), k_master_key_bytes);
    struct stat st {};
    ASSERT_EQ(::stat(path.c_str(), &st), 0);
    EXPECT_TRUE(S_ISREG(st.st_mode));
    EXPECT_EQ(st.st_size, 32);
    EXPECT_EQ(st.st_mode & 07777, 0600u);
}

TEST(MasterKey, CreatedKeyLoadsBackIdentically) {
    TempDir dir;
    const std::string path = dir.file("master.key");
    auto created = load_master_key(path, KeyCreation::allow);
    ASSERT_TRUE(created.has_value()) << created.error().message;
    auto loaded = load_master_key(path, KeyCreation::forbid);
    ASSERT_TRUE(loaded.has_value()) << loaded.error().message;
    EXPECT_TRUE(created->equals(*loaded));
}

TEST(MasterKey, TwoCreatedKeysDiffer) {
    TempDir dir;
    auto a = load_master_key(dir.file("a.key"), KeyCreation::allow);
    auto b = load_master_key(dir.file("b.key"), KeyCreation::allow);
    ASSERT_TRUE(a.has_value() && b.has_value());
    EXPECT_FALSE(a->equals(*b));
}

TEST(MasterKey, GroupReadableKeyFileIsRefused) {
    TempDir dir;
    const std::string path = dir.write("master.key", std::string(32, 'k'));
    ASSERT_EQ(::chmod(path.c_str(), 0644), 0);
    auto key = load_master_key(path, KeyCreation::allow);
    ASSERT_FALSE(key.has_value());
    EXPECT_NE(key.error().message.find("readable by group or others"), std::string::npos) << key.error().message;
    EXPECT_NE(key.error().message.find(path), std::string::npos) << key.error().message;
}

TEST(MasterKey, WrongLengthIsRefused) {
    TempDir dir;
    for (std::size_t len : {std::size_t{0}, std::size_t{31}, std::size_t{33}, std::size_t{64}}) {
        const std::string path = dir.write("master-" + std::to_string(len) + ".key", std::string(len, 'k'));
        ASSERT_EQ(::chmod(path.c_str(), 0600), 0);
        auto key = load_master_key(path, KeyCreation::forbid);
        EXPECT_FALSE(key.has_value()) << len;
        if (!key) {
            EXPECT_NE(key.error().message.find("is not 32"), std::string::npos) << key.error().message;
        }
    }
}

TEST(MasterKey, ForbidWithMissingFileFails) {
    TempDir dir;
    const std::string path = dir.file("missing.key");
    auto key = load_master_key(path, KeyCreation::forbid);
    ASSERT_FALSE(key.has_value());
    EXPECT_NE(key.error().message.find(path), std::string::npos) << key.error().message;
    struct stat st {};
    EXPECT_NE(::stat(path.c_str(), &st), 0) << "forbid must not create the file";
}

TEST(MasterKey, ExistingValidKeyFileLoadsItsBytes) {
    TempDir dir;
    const std::string content(32, 'Q');
    const std::string path = dir.write("master.key", content);
    ASSERT_EQ(::chmod(path.c_str(), 0600), 0);
    auto key = load_master_key(path, KeyCreation::forbid);
    ASSERT_TRUE(key.has_value()) << key.error().message;
    EXPECT_EQ(key->reveal(), content);
}

TEST(MasterKey, DirectoryIsNotARegularFile) {
    TempDir dir;
    auto key = load_master_key(dir.path().string(), KeyCreation::forbid);
    ASSERT_FALSE(key.has_value());
}

TEST(MasterKey, SymlinkIsRefused) {
    TempDir dir;
    const std::string target = dir.write("real.key", std::string(32, 'k'));
    ASSERT_EQ(::chmod(target.c_str(), 0600), 0);
    const std::string link = dir.file("link.key");
    ASSERT_EQ(::symlink(target.c_str(), link.c_str()), 0);
    EXPECT_FALSE(load_master_key(link, KeyCreation::forbid).has_value());
    EXPECT_FALSE(load_master_key(link, KeyCreation::allow).has_value());
}

TEST(MasterKey, GroupReadableMessageNamesTheMode) {
    TempDir dir;
    const std::string path = dir.write("master.key", std::string(32, 'k'));
    ASSERT_EQ(::chmod(path.c_str(), 0640), 0);
    auto key = load_master_key(path, KeyCreation::forbid);
    ASSERT_FALSE(key.has_value());
    EXPECT_EQ(key.error().message,
              "master key " + path + " is readable by group or others (mode 0640); chmod 600 it");
}

}  // namespace
}  // namespace credctl::store
