// LmdbStore beyond the Store calls: map growth and its cap, check,
// backup, and data-key rotation (including a crash between batches).
#include "daemon/store/lmdb_store.hpp"
#include "daemon/store/record_codec.hpp"

#include "temp_dir.hpp"

#include <gtest/gtest.h>
#include <lmdb.h>

#include <filesystem>
#include <string>

namespace credctl::store {
namespace {

using credctl::test::TempDir;

SecretBytes key_of(unsigned char fill) {
    auto k = SecretBytes::zeroed(k_master_key_bytes);
    for (std::size_t i = 0; i < k.size(); ++i) k.data()[i] = static_cast<unsigned char>(fill ^ (i * 7));
    return k;
}

CredentialRecord record(const std::string& refresh) {
    CredentialRecord r;
    r.access_token = SecretBytes::from("AT-" + refresh);
    r.access_expires_at = 1700000000;
    r.issuer = "https://issuer.example";
    return r;
}

std::string refresh_of(LmdbStore& s, const CredentialKey& k) {
    auto got = s.refresh_token(k);
    if (!got) return got.error().code == Errc::not_found ? "absent" : "error: " + got.error().message;
    return std::string(got->reveal());
}

class LmdbMaintenanceTest : public ::testing::Test {
protected:
    LmdbOptions options(std::size_t max_map = std::size_t{64} << 20) const {
        LmdbOptions o;
        o.directory = dir_.file("state");
        o.initial_map_bytes = std::size_t{1} << 20;
        o.max_map_bytes = max_map;
        return o;
    }
    std::unique_ptr<LmdbStore> open(const LmdbOptions& o, unsigned char fill = 1) const {
        auto s = LmdbStore::open(o, Sealer(key_of(fill)));
        if (!s) ADD_FAILURE() << s.error().message;
        return s ? std::move(*s) : nullptr;
    }
    void fill(LmdbStore& s, int n, const std::string& tag = "RT") const {
        std::vector<LmdbStore::NewCredential> batch;
        for (int i = 0; i < n; ++i) {
            const std::string refresh = tag + std::to_string(i);
            batch.push_back({{"u" + std::to_string(i), "p"}, record(refresh), SecretBytes::from(refresh)});
        }
        ASSERT_TRUE(s.put_batch(batch).has_value());
    }
    TempDir dir_;
};

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
        ASSERT_TRUE(s->put({"u" + std::to_string(i), "p"}, record(big), SecretBytes::from(big)).has_value()) << i;
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
        r = s->put({"u" + std::to_string(stored), "p"}, record(big + std::to_string(stored)),
                   SecretBytes::from(big + std::to_string(stored)));
        if (!r) break;
    }
    ASSERT_FALSE(r.has_value()) << "2 MiB cap never reached";
    EXPECT_EQ(r.error().code, Errc::store_full);
    EXPECT_EQ(r.error().message, "store: write: the store reached its size cap of 2 MiB ([store] max_map_bytes)");
    EXPECT_EQ(refresh_of(*s, {"u0", "p"}), big + "0");
    for (int i = 0; i < stored; i += 2) ASSERT_TRUE(s->erase({"u" + std::to_string(i), "p"}).has_value());
    EXPECT_TRUE(s->put({"again", "p"}, record(big), SecretBytes::from(big)).has_value());
    EXPECT_EQ(refresh_of(*s, {"again", "p"}), big);
}

TEST_F(LmdbMaintenanceTest, CheckReportsEveryRecordOpening) {
    auto s = open(options());
    ASSERT_NE(s, nullptr);
    fill(*s, 50);
    auto report = s->check();
    ASSERT_TRUE(report.has_value());
    EXPECT_EQ(report->records, 50u);
    EXPECT_EQ(report->opened, 50u);
    EXPECT_TRUE(report->failures.empty());
}

// Reads, changes and writes back one raw value of a database, behind the
// store's back (the store must be closed).
template <class Change>
void rewrite_raw(const std::string& dir, const char* database, const std::string& key, Change change) {
    MDB_env* env = nullptr;
    ASSERT_EQ(mdb_env_create(&env), 0);
    mdb_env_set_maxdbs(env, 4);
    ASSERT_EQ(mdb_env_open(env, dir.c_str(), 0, 0600), 0);
    MDB_txn* txn = nullptr;
    ASSERT_EQ(mdb_txn_begin(env, nullptr, 0, &txn), 0);
    MDB_dbi dbi = 0;
    ASSERT_EQ(mdb_dbi_open(txn, database, 0, &dbi), 0);
    MDB_val k{key.size(), const_cast<char*>(key.data())};
    MDB_val v{};
    ASSERT_EQ(mdb_get(txn, dbi, &k, &v), 0);
    const std::string value = change(std::string(static_cast<char*>(v.mv_data), v.mv_size));
    MDB_val nv{value.size(), const_cast<char*>(value.data())};
    ASSERT_EQ(mdb_put(txn, dbi, &k, &nv, 0), 0);
    ASSERT_EQ(mdb_txn_commit(txn), 0);
    mdb_env_close(env);
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
    EXPECT_EQ(report->records, 3u);
    EXPECT_EQ(report->opened, 2u);
    ASSERT_EQ(report->failures.size(), 1u);
    EXPECT_EQ(report->failures[0].key.user, "u1");
    EXPECT_EQ(report->failures[0].reason, "record does not open (wrong key, moved or damaged)");
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
    auto s = open(options());
    ASSERT_NE(s, nullptr);
    fill(*s, 2);
    auto rec = record("ignored");
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

// A record read before a rotation and written back during it (a refresh
// marks and commits its record around a provider call) must not carry its
// refresh token's old seal past the retirement of the old key.
TEST_F(LmdbMaintenanceTest, UpdateDuringARotationResealsTheRefreshTokenUnderTheNewKey) {
    auto s = open(options());
    ASSERT_NE(s, nullptr);
    fill(*s, 300);
    auto rec = s->get({"u0", "p"});
    ASSERT_TRUE(rec.has_value() && rec->has_value());
    ASSERT_TRUE(s->begin_rotation().has_value());
    (*rec)->subject = "written back";
    ASSERT_TRUE(s->update({"u0", "p"}, **rec).has_value());
    for (int i = 0; i < 10; ++i) {
        auto step = s->rotate_batch(100);
        ASSERT_TRUE(step.has_value()) << step.error().message;
        if (step->done) break;
    }
    ASSERT_FALSE(s->rotating());
    auto info = s->info();
    ASSERT_TRUE(info.has_value());
    EXPECT_EQ(info->keys, std::vector<std::uint32_t>{2});
    EXPECT_EQ(refresh_of(*s, {"u0", "p"}), "RT0");
    EXPECT_EQ(refresh_of(*s, {"u299", "p"}), "RT299");
    auto report = s->check();
    ASSERT_TRUE(report.has_value());
    EXPECT_EQ(report->opened, 300u);
    EXPECT_TRUE(report->failures.empty());
}

TEST_F(LmdbMaintenanceTest, BackupOpensWithTheSameKeyOnlyAndNeverOverwrites) {
    const std::string backup = dir_.file("backup.mdb");
    {
        auto s = open(options());
        ASSERT_NE(s, nullptr);
        fill(*s, 20);
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

TEST_F(LmdbMaintenanceTest, RotationResealsEveryRecordAndRetiresTheOldKey) {
    auto s = open(options());
    ASSERT_NE(s, nullptr);
    fill(*s, 2500);
    auto id = s->begin_rotation();
    ASSERT_TRUE(id.has_value());
    EXPECT_EQ(*id, 2u);
    EXPECT_TRUE(s->rotating());
    ASSERT_TRUE(
        s->put({"new", "p"}, record("during"), SecretBytes::from("during")).has_value());  // writes go on meanwhile
    std::uint64_t resealed = 0;
    int batches = 0;
    for (;;) {
        auto step = s->rotate_batch(1000);
        ASSERT_TRUE(step.has_value()) << step.error().message;
        EXPECT_LE(step->resealed, 1000u);
        resealed += step->resealed;
        ++batches;
        EXPECT_EQ(refresh_of(*s, {"u1234", "p"}), "RT1234");  // reads go on meanwhile
        if (step->done) break;
        ASSERT_LT(batches, 10);
    }
    EXPECT_EQ(resealed, 2500u);
    EXPECT_FALSE(s->rotating());
    auto info = s->info();
    ASSERT_TRUE(info.has_value());
    EXPECT_EQ(info->keys, std::vector<std::uint32_t>{2});
    auto report = s->check();
    ASSERT_TRUE(report.has_value());
    EXPECT_EQ(report->opened, 2501u);
    s.reset();
    auto reopened = open(options());
    ASSERT_NE(reopened, nullptr);
    EXPECT_FALSE(reopened->rotating());
    EXPECT_EQ(refresh_of(*reopened, {"new", "p"}), "during");
    EXPECT_EQ(refresh_of(*reopened, {"u0", "p"}), "RT0");
}

TEST_F(LmdbMaintenanceTest, RotationInterruptedBetweenBatchesResumesAfterReopen) {
    {
        auto s = open(options());
        ASSERT_NE(s, nullptr);
        fill(*s, 1500);
        ASSERT_TRUE(s->begin_rotation().has_value());
        auto step = s->rotate_batch(500);
        ASSERT_TRUE(step.has_value());
        EXPECT_FALSE(step->done);
    }  // closed mid-rotation, as by a crash: both keys are still stored
    auto s = open(options());
    ASSERT_NE(s, nullptr);
    EXPECT_TRUE(s->rotating());
    auto info = s->info();
    ASSERT_TRUE(info.has_value());
    EXPECT_EQ(info->keys, (std::vector<std::uint32_t>{1, 2}));
    EXPECT_EQ(refresh_of(*s, {"u1499", "p"}), "RT1499");  // still under key 1
    auto again = s->begin_rotation();
    ASSERT_TRUE(again.has_value());
    EXPECT_EQ(*again, 2u) << "a second rotate continues the first";
    for (int i = 0; i < 10; ++i) {
        auto step = s->rotate_batch(500);
        ASSERT_TRUE(step.has_value());
        if (step->done) break;
    }
    EXPECT_FALSE(s->rotating());
    auto report = s->check();
    ASSERT_TRUE(report.has_value());
    EXPECT_EQ(report->opened, 1500u);
}

TEST_F(LmdbMaintenanceTest, RecordUnderARetiredKeyDoesNotOpen) {
    auto s = open(options());
    ASSERT_NE(s, nullptr);
    fill(*s, 1);
    // Keep a value sealed under key 1, rotate, then put the old value back.
    std::string old_value;
    {
        MDB_env* env = nullptr;
        ASSERT_EQ(mdb_env_create(&env), 0);
        mdb_env_set_maxdbs(env, 4);
        ASSERT_EQ(mdb_env_open(env, options().directory.c_str(), MDB_RDONLY | MDB_NOTLS, 0600), 0);
        MDB_txn* txn = nullptr;
        ASSERT_EQ(mdb_txn_begin(env, nullptr, MDB_RDONLY, &txn), 0);
        MDB_dbi dbi = 0;
        ASSERT_EQ(mdb_dbi_open(txn, "credentials", 0, &dbi), 0);
        std::string key("u0\0p", 4);
        MDB_val k{key.size(), key.data()};
        MDB_val v{};
        ASSERT_EQ(mdb_get(txn, dbi, &k, &v), 0);
        old_value.assign(static_cast<char*>(v.mv_data), v.mv_size);
        mdb_txn_abort(txn);
        mdb_env_close(env);
    }
    ASSERT_TRUE(s->begin_rotation().has_value());
    auto step = s->rotate_batch(100);
    ASSERT_TRUE(step.has_value() && step->done);
    s.reset();
    rewrite_raw(options().directory, "credentials", std::string("u0\0p", 4),
                [&](const std::string&) { return old_value; });
    s = open(options());
    ASSERT_NE(s, nullptr);
    EXPECT_EQ(refresh_of(*s, {"u0", "p"}), "error: store: credential u0/p: record is sealed under unknown key id 1");
}

}  // namespace
}  // namespace credctl::store

namespace credctl::store {
namespace {

TEST_F(LmdbMaintenanceTest, ReplacedMasterKeyOpensTheStoreAndTheOldOneNoLonger) {
    {
        auto s = open(options(), 1);
        ASSERT_NE(s, nullptr);
        fill(*s, 10);
        auto same = s->replace_master_key(key_of(1));
        ASSERT_FALSE(same.has_value());
        EXPECT_EQ(same.error().code, Errc::bad_request);
        ASSERT_TRUE(s->replace_master_key(key_of(9)).has_value());
        EXPECT_EQ(refresh_of(*s, {"u3", "p"}), "RT3");
        ASSERT_TRUE(s->put({"after", "p"}, record("A"), SecretBytes::from("A")).has_value());
    }
    auto old_key = LmdbStore::open(options(), Sealer(key_of(1)));
    ASSERT_FALSE(old_key.has_value());
    EXPECT_EQ(old_key.error().message, "master key does not match this store");
    auto s = open(options(), 9);
    ASSERT_NE(s, nullptr);
    EXPECT_EQ(refresh_of(*s, {"u3", "p"}), "RT3");
    EXPECT_EQ(refresh_of(*s, {"after", "p"}), "A");
}

}  // namespace
}  // namespace credctl::store
