// The fixture of the LmdbStore maintenance tests (growth, check, backup,
// rotation, master key replacement): a store in a temporary directory with a
// small initial map, records keyed u0/p, u1/p... whose refresh tokens are
// RT0, RT1..., and raw LMDB access behind the store's back to forge damage.
// Used by lmdb_maintenance_test.cpp and lmdb_rotation_test.cpp only.
#pragma once

#include "daemon/store/lmdb_store.hpp"

#include "support/sample_record.hpp"
#include "temp_dir.hpp"

#include <gtest/gtest.h>
#include <lmdb.h>

#include <memory>
#include <string>
#include <vector>

namespace credctl::store {

using credctl::test::TempDir;
using test::key_of;
using test::record_tagged;

inline std::string refresh_of(LmdbStore& s, const CredentialKey& k) {
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
    // A store under key 1 holding `n` records; null (and a failure) if it
    // does not open.
    std::unique_ptr<LmdbStore> open_filled(int n) const {
        auto s = open(options());
        if (s) fill(*s, n);
        return s;
    }
    void fill(LmdbStore& s, int n, const std::string& tag = "RT") const {
        std::vector<LmdbStore::NewCredential> batch;
        for (int i = 0; i < n; ++i) {
            const std::string refresh = tag + std::to_string(i);
            batch.push_back({{"u" + std::to_string(i), "p"}, record_tagged(refresh), SecretBytes::from(refresh)});
        }
        ASSERT_TRUE(s.put_batch(batch).has_value());
    }
    TempDir dir_;
};

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

// One raw value of a database, read behind the store's back.
inline void read_raw(const std::string& dir, const char* database, const std::string& key, std::string& out) {
    MDB_env* env = nullptr;
    ASSERT_EQ(mdb_env_create(&env), 0);
    mdb_env_set_maxdbs(env, 4);
    ASSERT_EQ(mdb_env_open(env, dir.c_str(), MDB_RDONLY | MDB_NOTLS, 0600), 0);
    MDB_txn* txn = nullptr;
    ASSERT_EQ(mdb_txn_begin(env, nullptr, MDB_RDONLY, &txn), 0);
    MDB_dbi dbi = 0;
    ASSERT_EQ(mdb_dbi_open(txn, database, 0, &dbi), 0);
    MDB_val k{key.size(), const_cast<char*>(key.data())};
    MDB_val v{};
    ASSERT_EQ(mdb_get(txn, dbi, &k, &v), 0);
    out.assign(static_cast<char*>(v.mv_data), v.mv_size);
    mdb_txn_abort(txn);
    mdb_env_close(env);
}

}  // namespace credctl::store
