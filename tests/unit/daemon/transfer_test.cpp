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
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace credctl::store {
namespace {

using credctl::test::TempDir;
using test::key_of;
using test::put_version;
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
    ASSERT_TRUE(put_version(*from, alice_, "alice", 10, 1));
    ASSERT_TRUE(put_version(*from, bob_, "bob", 10, 1));
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

// alice's credential at updated_at 10 after 1 rotation, copied into a store
// that holds her credential at another version (or not at all).
struct Meeting {
    const char* what;
    std::optional<std::pair<std::int64_t, std::uint64_t>> held;  // updated_at, rotation; nullopt: none
    TransferOutcome outcome;
    const char* reason;      // of the item
    const char* kept_token;  // the refresh token the destination holds after
};

TEST_F(TransferTest, EachCredentialIsMovedSkippedOrRefusedByItsVersion) {
    const std::vector<Meeting> meetings{
        {"not held", std::nullopt, TransferOutcome::moved, "", "RT-copy"},
        {"an older login held", std::pair{9, 5}, TransferOutcome::moved, "", "RT-copy"},
        {"the same version held", std::pair{10, 1}, TransferOutcome::skipped, "this store holds the same version",
         "RT-held"},
        {"a later rotation held", std::pair{10, 2}, TransferOutcome::refused,
         "this store holds a newer record (updated at 10, rotation 2; the copy: updated at 10, rotation 1)", "RT-held"},
        {"a later login held", std::pair{11, 0}, TransferOutcome::refused,
         "this store holds a newer record (updated at 11, rotation 0; the copy: updated at 10, rotation 1)", "RT-held"},
    };
    int n = 0;
    for (const auto& m : meetings) {
        SCOPED_TRACE(m.what);
        auto from = open("from" + std::to_string(n));
        auto into = open("into" + std::to_string(n++));
        ASSERT_TRUE(put_version(*from, alice_, "copy", 10, 1));
        if (m.held) {
            ASSERT_TRUE(put_version(*into, alice_, "held", m.held->first, m.held->second));
        }
        auto report = copy_records(*from, *into);
        ASSERT_TRUE(report) << report.error().message;
        ASSERT_EQ(report->items.size(), 1u);
        EXPECT_EQ(report->items[0].outcome, m.outcome);
        EXPECT_EQ(report->items[0].reason, m.reason);
        EXPECT_EQ(report->moved, m.outcome == TransferOutcome::moved ? 1u : 0u);
        EXPECT_EQ(report->skipped, m.outcome == TransferOutcome::skipped ? 1u : 0u);
        EXPECT_EQ(report->refused, m.outcome == TransferOutcome::refused ? 1u : 0u);
        EXPECT_EQ(refresh_of(*into, alice_), m.kept_token);
    }
}

TEST_F(TransferTest, ABackupWrittenFromCredentialsRestoresIntoAnotherStore) {
    auto fill = [this](LmdbStore& out) { return put_version(out, alice_, "alice", 10, 1); };
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
