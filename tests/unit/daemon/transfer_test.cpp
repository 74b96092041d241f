// Copying credentials between stores (daemon/store/transfer.hpp): the
// newer-wins rule, the report, and a backup file written from a list of
// credentials and restored into another store. Real LMDB in temp dirs.
#include "daemon/store/transfer.hpp"

#include "support/sample_record.hpp"
#include "support/store_open.hpp"
#include "temp_dir.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <memory>
#include <string>

namespace credctl::store {
namespace {

using credctl::test::TempDir;
using test::key_of;
using test::record_version;
using test::refresh_of;

class TransferTest : public ::testing::Test {
protected:
    std::unique_ptr<LmdbStore> open(const std::string& name, unsigned char key = 1) {
        return test::open_small_lmdb(dir_, name, key);
    }
    TempDir dir_;
    const CredentialKey alice_{"alice", "github"};
    const CredentialKey bob_{"bob", "gitlab"};
};

TEST_F(TransferTest, NewerIsComparedOnUpdatedAtThenRotation) {
    EXPECT_TRUE(newer_than(record_version("a", 11, 0), record_version("b", 10, 9)));  // a later login resets rotation
    EXPECT_TRUE(newer_than(record_version("a", 10, 3), record_version("b", 10, 2)));
    EXPECT_FALSE(newer_than(record_version("a", 10, 2), record_version("b", 10, 2)));
    EXPECT_FALSE(newer_than(record_version("a", 9, 5), record_version("b", 10, 0)));
}

TEST_F(TransferTest, CopiesEveryCredentialWithItsAccessAndRefreshToken) {
    auto from = open("from");
    auto into = open("into", 2);  // another master key: values are sealed again
    ASSERT_TRUE(from->put(alice_, record_version("alice", 10, 1), SecretBytes::from("RT-alice")));
    ASSERT_TRUE(from->put(bob_, record_version("bob", 10, 1), SecretBytes::from("RT-bob")));
    auto report = copy_records(*from, *into);
    ASSERT_TRUE(report) << report.error().message;
    EXPECT_EQ(report->moved, 2u);
    EXPECT_EQ(report->items.size(), 2u);
    EXPECT_EQ(refresh_of(*into, alice_), "RT-alice");
    EXPECT_EQ(refresh_of(*into, bob_), "RT-bob");
    auto got = into->get(alice_);
    ASSERT_TRUE(got && *got);
    EXPECT_EQ((*got)->access_token.reveal(), "AT-alice");
    EXPECT_EQ((*got)->updated_at, 10);
    EXPECT_EQ((*got)->rotation, 1u);
}

TEST_F(TransferTest, ANewerRecordInTheDestinationIsRefusedAndKept) {
    auto from = open("from");
    auto into = open("into");
    ASSERT_TRUE(from->put(alice_, record_version("old", 10, 1), SecretBytes::from("RT-old")));
    ASSERT_TRUE(into->put(alice_, record_version("new", 10, 2), SecretBytes::from("RT-new")));
    auto report = copy_records(*from, *into);
    ASSERT_TRUE(report);
    EXPECT_EQ(report->refused, 1u);
    EXPECT_EQ(report->moved, 0u);
    ASSERT_EQ(report->items.size(), 1u);
    EXPECT_EQ(report->items[0].outcome, TransferOutcome::refused);
    EXPECT_EQ(report->items[0].reason,
              "this store holds a newer record (updated at 10, rotation 2; the copy: updated at 10, rotation 1)");
    EXPECT_EQ(refresh_of(*into, alice_), "RT-new");
}

TEST_F(TransferTest, TheSameVersionIsSkippedAndAnOlderOneInTheDestinationReplaced) {
    auto from = open("from");
    auto into = open("into");
    ASSERT_TRUE(from->put(alice_, record_version("a", 10, 1), SecretBytes::from("RT-a")));
    ASSERT_TRUE(from->put(bob_, record_version("b", 20, 0), SecretBytes::from("RT-b2")));
    ASSERT_TRUE(into->put(alice_, record_version("a", 10, 1), SecretBytes::from("RT-a")));
    ASSERT_TRUE(into->put(bob_, record_version("b", 15, 4), SecretBytes::from("RT-b1")));
    auto report = copy_records(*from, *into);
    ASSERT_TRUE(report);
    EXPECT_EQ(report->skipped, 1u);
    EXPECT_EQ(report->moved, 1u);
    EXPECT_EQ(refresh_of(*into, bob_), "RT-b2");
}

TEST_F(TransferTest, ABackupWrittenFromCredentialsRestoresIntoAnotherStore) {
    auto fill = [this](LmdbStore& out) {
        return out.put(alice_, record_version("alice", 10, 1), SecretBytes::from("RT-alice"));
    };
    const std::string file = dir_.file("backup.mdb");
    auto bytes = write_lmdb_backup(file, Sealer(key_of(1)), dir_.path().string(), fill);
    ASSERT_TRUE(bytes) << bytes.error().message;
    EXPECT_GT(*bytes, 0u);
    EXPECT_FALSE(write_lmdb_backup(file, Sealer(key_of(1)), dir_.path().string(), fill));  // never replaced
    auto into = open("into");
    auto report = restore_backup(file, Sealer(key_of(1)), dir_.path().string(), *into);
    ASSERT_TRUE(report) << report.error().message;
    EXPECT_EQ(report->moved, 1u);
    EXPECT_EQ(refresh_of(*into, alice_), "RT-alice");
    // Only the backup, the store and nothing of the work directories remain.
    std::size_t entries = 0;
    for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator(dir_.path())) ++entries;
    EXPECT_EQ(entries, 2u);
}

TEST_F(TransferTest, ABackupWhoseFillFailsWritesNoFileAndLeavesNoWorkDirectory) {
    const std::string file = dir_.file("backup.mdb");
    auto failing = [](LmdbStore&) { return Result<void>(make_error(Errc::internal, "credential x/y does not open")); };
    auto bytes = write_lmdb_backup(file, Sealer(key_of(1)), dir_.path().string(), failing);
    ASSERT_FALSE(bytes);
    EXPECT_EQ(bytes.error().message, "credential x/y does not open");
    EXPECT_TRUE(std::filesystem::is_empty(dir_.path()));
}

TEST_F(TransferTest, ABackupUnderAnotherMasterKeyIsRefusedByName) {
    const std::string file = dir_.file("backup.mdb");
    auto nothing = [](LmdbStore&) { return Result<void>{}; };
    ASSERT_TRUE(write_lmdb_backup(file, Sealer(key_of(1)), dir_.path().string(), nothing));
    auto into = open("into", 2);
    auto report = restore_backup(file, Sealer(key_of(2)), dir_.path().string(), *into);
    ASSERT_FALSE(report);
    EXPECT_EQ(report.error().message, "backup " + file + ": master key does not match this store");
    auto relative = restore_backup("backup.mdb", Sealer(key_of(2)), dir_.path().string(), *into);
    ASSERT_FALSE(relative);
    EXPECT_EQ(relative.error().message, "backup path must be absolute: \"backup.mdb\"");
    auto dir = restore_backup(dir_.path().string(), Sealer(key_of(2)), dir_.path().string(), *into);
    ASSERT_FALSE(dir);
    EXPECT_EQ(dir.error().message, "backup " + dir_.path().string() + " is not a regular file");
}

}  // namespace
}  // namespace credctl::store
