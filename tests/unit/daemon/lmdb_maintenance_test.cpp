// LmdbStore beyond the Store calls: synchronous commits, map growth and its
// cap, check, update and backup. Rotation and key replacement are in
// lmdb_rotation_test.cpp.
#include "daemon/store/lmdb_store.hpp"
#include "daemon/store/record_codec.hpp"

#include "support/check_report.hpp"
#include "support/lmdb_fixture.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <string>

namespace credctl::store {
namespace {

TEST_F(LmdbMaintenanceTest, CommitsAreSynchronous) {
    auto s = open(options());
    ASSERT_NE(s, nullptr);
    auto info = s->info();
    ASSERT_TRUE(info.has_value());
    EXPECT_TRUE(info->sync_commits) << "docs/store-format.md: acknowledged writes are fsync'd";
}

TEST_F(LmdbMaintenanceTest, MapGrowsBeyondItsInitialSize) {
    auto s = open(options());
    ASSERT_NE(s, nullptr);
    const std::string big(100 * 1024, 'x');
    for (int i = 0; i < 30; ++i)
        ASSERT_TRUE(s->put({"u" + std::to_string(i), "p"}, record_tagged(big), SecretBytes::from(big)).has_value())
            << i;
    auto info = s->info();
    ASSERT_TRUE(info.has_value());
    EXPECT_GT(info->map_bytes, std::size_t{1} << 20);
    EXPECT_EQ(refresh_of(*s, {"u29", "p"}), big);
}

TEST_F(LmdbMaintenanceTest, AtTheCapWritesFailWithStoreFullReadsGoOnAndFreedSpaceIsReused) {
    auto s = open(options(std::size_t{2} << 20));
    ASSERT_NE(s, nullptr);
    const std::string big(100 * 1024, 'x');
    int stored = 0;
    Result<void> r;
    for (; stored < 100; ++stored) {
        r = s->put({"u" + std::to_string(stored), "p"}, record_tagged(big + std::to_string(stored)),
                   SecretBytes::from(big + std::to_string(stored)));
        if (!r) break;
    }
    ASSERT_FALSE(r.has_value()) << "2 MiB cap never reached";
    EXPECT_EQ(r.error().code, Errc::store_full);
    EXPECT_EQ(r.error().message, "store: write: the store reached its size cap of 2 MiB ([store] max_map_bytes)");
    EXPECT_EQ(refresh_of(*s, {"u0", "p"}), big + "0");
    for (int i = 0; i < stored; i += 2) ASSERT_TRUE(s->erase({"u" + std::to_string(i), "p"}).has_value());
    EXPECT_TRUE(s->put({"again", "p"}, record_tagged(big), SecretBytes::from(big)).has_value());
    EXPECT_EQ(refresh_of(*s, {"again", "p"}), big);
}

TEST_F(LmdbMaintenanceTest, CheckReportsEveryRecordOpening) {
    auto s = open_filled(50);
    ASSERT_NE(s, nullptr);
    auto report = s->check();
    ASSERT_TRUE(report.has_value());
    EXPECT_EQ(report->records, 50u);
    EXPECT_EQ(report->opened, 50u);
    EXPECT_TRUE(report->failures.empty());
}

TEST_F(LmdbMaintenanceTest, CheckNamesADamagedRecordWithoutPrintingIt) {
    const auto o = options();
    {
        auto s = open(o);
        ASSERT_NE(s, nullptr);
        fill(*s, 3);
    }
    // Flip one ciphertext byte of u1/p behind the store's back.
    rewrite_raw(o.directory, "credentials", std::string("u1\0p", 4), [](std::string v) {
        v[40] ^= 1;
        return v;
    });
    auto s = open(o);
    ASSERT_NE(s, nullptr);
    auto report = s->check();
    ASSERT_TRUE(report.has_value());
    test::expect_one_unopened(*report, 3, "u1");
}

TEST_F(LmdbMaintenanceTest, CheckOpensTheRefreshTokenSealedInsideEachRecord) {
    const auto o = options();
    {
        auto s = open(o);
        ASSERT_NE(s, nullptr);
        fill(*s, 3);
    }
    // Data key 1, opened as docs/store-format.md says, re-seals u1/p with
    // an intact record around a damaged refresh token.
    const std::string data_key_name = std::string("data_key/") + std::string("\0\0\0\1", 4);
    std::optional<Sealer> data_key;
    rewrite_raw(o.directory, "meta", data_key_name, [&](std::string v) {
        auto k = Sealer(key_of(1)).open("meta", data_key_name, v);
        if (k) data_key.emplace(std::move(*k), 1);
        return v;
    });
    ASSERT_TRUE(data_key.has_value());
    const std::string rk("u1\0p", 4);
    rewrite_raw(o.directory, "credentials", rk, [&](std::string v) {
        auto plain = data_key->open("credentials", rk, v);
        auto decoded = plain ? decode_record(*plain) : Result<DecodedRecord>(plain.error());
        if (!decoded) return v;
        std::string inner = decoded->sealed_refresh_token;
        inner[40] ^= 1;
        return data_key->seal("credentials", rk, encode_record(decoded->record, inner));
    });
    auto s = open(o);
    ASSERT_NE(s, nullptr);
    auto got = s->get({"u1", "p"});  // the record itself opens
    ASSERT_TRUE(got.has_value() && got->has_value());
    EXPECT_EQ((*got)->issuer, "https://issuer.example");
    EXPECT_EQ(refresh_of(*s, {"u1", "p"}),
              "error: store: credential u1/p: refresh token does not open (wrong key, moved or damaged)");
    auto report = s->check();
    ASSERT_TRUE(report.has_value());
    EXPECT_EQ(report->opened, 2u);
    ASSERT_EQ(report->failures.size(), 1u);
    EXPECT_EQ(report->failures[0].key.user, "u1");
    EXPECT_EQ(report->failures[0].reason, "refresh token does not open (wrong key, moved or damaged)");
}

TEST_F(LmdbMaintenanceTest, UpdateKeepsTheRefreshTokenAndReplacesTheRest) {
    auto s = open_filled(2);
    ASSERT_NE(s, nullptr);
    auto rec = record_tagged("ignored");
    rec.subject = "changed";
    rec.state = CredentialState::refresh_pending;
    ASSERT_TRUE(s->update({"u1", "p"}, rec).has_value());
    auto got = s->get({"u1", "p"});
    ASSERT_TRUE(got.has_value() && got->has_value());
    EXPECT_EQ((*got)->subject, "changed");
    EXPECT_EQ((*got)->state, CredentialState::refresh_pending);
    EXPECT_EQ(refresh_of(*s, {"u1", "p"}), "RT1");
    auto absent = s->update({"nobody", "p"}, rec);
    ASSERT_FALSE(absent.has_value());
    EXPECT_EQ(absent.error().code, Errc::not_found);
    EXPECT_EQ(refresh_of(*s, {"nobody", "p"}), "absent");
}

TEST_F(LmdbMaintenanceTest, BackupOpensWithTheSameKeyOnlyAndNeverOverwrites) {
    const std::string backup = dir_.file("backup.mdb");
    {
        auto s = open_filled(20);
        ASSERT_NE(s, nullptr);
        auto bytes = s->backup(backup);
        ASSERT_TRUE(bytes.has_value()) << bytes.error().message;
        EXPECT_GT(*bytes, 0u);
        auto again = s->backup(backup);
        ASSERT_FALSE(again.has_value());
        EXPECT_NE(again.error().message.find("cannot create backup " + backup), std::string::npos);
        EXPECT_FALSE(s->backup("relative.mdb").has_value());
    }
    EXPECT_EQ(std::filesystem::status(backup).permissions() & std::filesystem::perms::all,
              std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
    LmdbOptions restored = options();
    restored.directory = dir_.file("restored");
    std::filesystem::create_directory(restored.directory);
    std::filesystem::permissions(restored.directory, std::filesystem::perms::owner_all);
    std::filesystem::copy_file(backup, restored.directory + "/data.mdb");
    {
        auto other = LmdbStore::open(restored, Sealer(key_of(2)));
        ASSERT_FALSE(other.has_value());
        EXPECT_EQ(other.error().message, "master key does not match this store");
    }
    auto s = open(restored);
    ASSERT_NE(s, nullptr);
    EXPECT_EQ(refresh_of(*s, {"u7", "p"}), "RT7");
    auto n = s->count();
    ASSERT_TRUE(n.has_value());
    EXPECT_EQ(*n, 20u);
}

}  // namespace
}  // namespace credctl::store
