#include "daemon/store/master_key.hpp"

#include "daemon/store/sealer.hpp"
#include "temp_dir.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
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
    EXPECT_EQ(key.error().message, "master key " + path + " is readable by group or others (mode 0640); chmod 600 it");
}

}  // namespace
}  // namespace credctl::store

namespace credctl::store {
namespace {

using credctl::test::TempDir;

std::string key_file(const TempDir& dir, const std::string& name, char fill, unsigned mode = 0600) {
    const std::string path = dir.write(name, std::string(32, fill));
    ::chmod(path.c_str(), mode);
    return path;
}

TEST(MasterKeySources, SystemdCredentialWinsOverKeyFile) {
    TempDir dir;
    ASSERT_EQ(::mkdir(dir.file("creds").c_str(), 0700), 0);
    key_file(dir, "creds/credd.key", 'C', 0400);
    const std::string file = key_file(dir, "file.key", 'F');
    auto key = find_master_key({dir.file("creds"), file, dir.file("state"), true});
    ASSERT_TRUE(key.has_value()) << key.error().message;
    EXPECT_EQ(key->key.reveal(), std::string(32, 'C'));
    EXPECT_EQ(key->source, dir.file("creds") + "/credd.key (systemd credential)");
}

TEST(MasterKeySources, KeyFileIsUsedWhenTheCredentialsDirectoryHasNoKey) {
    TempDir dir;
    ASSERT_EQ(::mkdir(dir.file("creds").c_str(), 0700), 0);
    const std::string file = key_file(dir, "file.key", 'F', 0400);
    auto key = find_master_key({dir.file("creds"), file, dir.file("state"), true});
    ASSERT_TRUE(key.has_value()) << key.error().message;
    EXPECT_EQ(key->key.reveal(), std::string(32, 'F'));
    EXPECT_EQ(key->source, file);
}

TEST(MasterKeySources, BadSystemdCredentialStopsTheSearch) {
    TempDir dir;
    ASSERT_EQ(::mkdir(dir.file("creds").c_str(), 0700), 0);
    dir.write("creds/credd.key", "short");
    ::chmod(dir.file("creds/credd.key").c_str(), 0400);
    const std::string file = key_file(dir, "file.key", 'F');
    auto key = find_master_key({dir.file("creds"), file, dir.file("state"), true});
    ASSERT_FALSE(key.has_value());
    EXPECT_EQ(key.error().message, "master key " + dir.file("creds/credd.key") + " is not 32 bytes long");
}

TEST(MasterKeySources, KeyFileModesOtherThan0400And0600AreRefused) {
    TempDir dir;
    for (unsigned mode : {0640u, 0604u, 0700u, 0660u}) {
        const std::string file = key_file(dir, "k" + std::to_string(mode) + ".key", 'F', mode);
        auto key = find_master_key({"", file, dir.file("state"), true});
        EXPECT_FALSE(key.has_value()) << std::oct << mode;
    }
    const std::string exec = key_file(dir, "exec.key", 'F', 0700);
    auto key = find_master_key({"", exec, dir.file("state"), true});
    ASSERT_FALSE(key.has_value());
    EXPECT_EQ(key.error().message, "master key " + exec + " has mode 0700; it must be 0400 or 0600");
}

TEST(MasterKeySources, MissingKeyFileIsAnErrorNotANewKey) {
    TempDir dir;
    auto key = find_master_key({"", dir.file("absent.key"), dir.file("state"), true});
    ASSERT_FALSE(key.has_value());
    EXPECT_NE(key.error().message.find("cannot open master key " + dir.file("absent.key")), std::string::npos);
    EXPECT_FALSE(std::filesystem::exists(dir.file("absent.key")));
}

TEST(MasterKeySources, WithoutGenerationAndWithoutSourcesThereIsNoKey) {
    TempDir dir;
    auto key = find_master_key({"", "", dir.path().string(), false});
    ASSERT_FALSE(key.has_value());
    EXPECT_NE(key.error().message.find("no master key"), std::string::npos);
    EXPECT_FALSE(std::filesystem::exists(dir.file("master.key")));
}

TEST(MasterKeySources, PerUserModeGeneratesOnceThenLoads) {
    TempDir dir;
    auto first = find_master_key({"", "", dir.path().string(), true});
    ASSERT_TRUE(first.has_value()) << first.error().message;
    EXPECT_EQ(first->source, dir.file("master.key"));
    auto second = find_master_key({"", "", dir.path().string(), true});
    ASSERT_TRUE(second.has_value());
    EXPECT_TRUE(first->key.equals(second->key));
}

TEST(MasterKeySources, ExistingStoreWithoutItsGeneratedKeyIsRefused) {
    TempDir dir;
    dir.write("data.mdb", "not empty");
    auto key = find_master_key({"", "", dir.path().string(), true});
    ASSERT_FALSE(key.has_value());
    EXPECT_EQ(key.error().message, "store " + dir.path().string() + " exists but its master key " +
                                       dir.file("master.key") +
                                       " is missing; restore the key (a new one would not open the store)");
    EXPECT_FALSE(std::filesystem::exists(dir.file("master.key")));
}

}  // namespace
}  // namespace credctl::store
