// Internals shared by the LmdbStore implementation files (lmdb_store.cpp:
// open and records; lmdb_keys.cpp: key check, data keys and rotation;
// lmdb_maintenance.cpp: check, backup, info). Includes lmdb.h, so only those
// files include it.
//
// Thread-safety: as LmdbStore (one thread).
#pragma once

#include "daemon/store/lmdb_store.hpp"
#include "daemon/store/record_codec.hpp"
#include "daemon/store/record_key.hpp"

#include <lmdb.h>

#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace credctl::store {

Error lmdb_error(std::string_view what, int rc);
inline MDB_val val(std::string_view s) {
    return MDB_val{s.size(), const_cast<char*>(s.data())};
}
inline std::string_view view(const MDB_val& v) {
    return {static_cast<const char*>(v.mv_data), v.mv_size};
}

// Aborts the transaction unless committed; keeps every early return clean.
class Txn {
public:
    Txn(MDB_env* env, unsigned flags) { rc_ = mdb_txn_begin(env, nullptr, flags, &txn_); }
    ~Txn() {
        if (txn_ != nullptr) mdb_txn_abort(txn_);
    }
    Txn(const Txn&) = delete;
    Txn& operator=(const Txn&) = delete;
    [[nodiscard]] int begin_rc() const { return rc_; }
    MDB_txn* get() { return txn_; }
    int commit() {
        const int rc = mdb_txn_commit(txn_);
        txn_ = nullptr;
        return rc;
    }

private:
    MDB_txn* txn_ = nullptr;
    int rc_ = 0;
};

struct LmdbStore::Impl {
    explicit Impl(Sealer m) : master(std::move(m)) {}
    ~Impl() {
        if (env != nullptr) mdb_env_close(env);
    }
    Impl(const Impl&) = delete;
    Impl& operator=(const Impl&) = delete;

    Sealer master;                              // opens the key check and the data keys only
    std::map<std::uint32_t, Sealer> data_keys;  // id -> key; more than one while rotating
    std::uint32_t current = 0;                  // the newest data key: every write uses it
    MDB_env* env = nullptr;
    MDB_dbi credentials = 0;
    MDB_dbi meta = 0;
    std::string directory;
    std::size_t map_bytes = 0;
    std::size_t max_map_bytes = 0;
    std::string rotate_from;  // where the next rotation batch starts (record key)

    // lmdb_keys.cpp: verifies the key check and loads (or creates) the data keys.
    [[nodiscard]] Result<void> load_keys();
    [[nodiscard]] const Sealer& current_sealer() const { return data_keys.at(current); }
    // Opens a value sealed under whichever held data key its header names.
    [[nodiscard]] Result<SecretBytes> open_sealed(std::string_view database, std::string_view rk,
                                                  std::string_view sealed) const;
    [[nodiscard]] Result<SecretBytes> open_record(std::string_view rk, std::string_view sealed) const {
        return open_sealed(k_credentials_db, rk, sealed);
    }
    // lmdb_store.cpp: a stored value opened and decoded; the refresh token
    // stays sealed.
    [[nodiscard]] Result<DecodedRecord> read_record(std::string_view rk, std::string_view sealed) const;
    // A record's value under the current data key. The refresh token's own
    // seal is kept when it is already under that key, otherwise opened and
    // sealed again (a record written back during a rotation).
    [[nodiscard]] Result<std::string> seal_record(std::string_view rk, const CredentialRecord& record,
                                                  std::string_view sealed_refresh_token) const;

    // One write transaction: `body(txn)` returns an LMDB code. On
    // MDB_MAP_FULL the map grows (up to max_map_bytes) and the body runs again.
    template <class Body>
    [[nodiscard]] Result<void> write(std::string_view what, Body&& body) {
        for (;;) {
            int rc = 0;
            {
                Txn txn(env, 0);
                if (txn.begin_rc() != 0) return lmdb_error("begin", txn.begin_rc());
                rc = body(txn.get());
                if (rc == 0) rc = txn.commit();
            }  // aborted unless committed: the map can only be resized with no transaction open
            if (rc == 0) return {};
            if (rc == MDB_MAP_FULL && grow()) continue;
            return failed_write(what, rc);
        }
    }
    // Doubles the map up to the cap; false at the cap. No transaction of
    // this process may be open (true: all are scoped to one call).
    bool grow();
    [[nodiscard]] Error failed_write(std::string_view what, int rc) const;
    // Ok when data.mdb holds every page its meta page says is in use. A
    // shorter file (truncated by a full disk, a bad copy or a hostile hand)
    // is mapped all the same, and the first read of a page past its end
    // would kill credd with SIGBUS; this refuses it with a message instead.
    [[nodiscard]] Result<void> check_file_size() const;
};

}  // namespace credctl::store
