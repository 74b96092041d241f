// LmdbStore's keys (docs/store-format.md "Keys"): the key-check record that
// makes a wrong master key a clear error, the data keys sealed under the
// master key, and their rotation.
#include "daemon/store/lmdb_internal.hpp"

#include <sodium.h>

namespace credctl::store {
namespace {

constexpr std::string_view k_data_key_prefix = "data_key/";

std::string data_key_name(std::uint32_t id) {
    std::string s(k_data_key_prefix);
    for (int shift = 24; shift >= 0; shift -= 8) s.push_back(static_cast<char>((id >> shift) & 0xff));
    return s;
}

std::optional<std::uint32_t> data_key_id(std::string_view name) {
    if (name.size() != k_data_key_prefix.size() + 4 || name.substr(0, k_data_key_prefix.size()) != k_data_key_prefix) {
        return std::nullopt;
    }
    std::uint32_t id = 0;
    for (std::size_t i = k_data_key_prefix.size(); i < name.size(); ++i)
        id = (id << 8) | static_cast<unsigned char>(name[i]);
    return id;
}

std::uint64_t entries(MDB_txn* txn, MDB_dbi dbi) {
    MDB_stat st{};
    mdb_stat(txn, dbi, &st);
    return st.ms_entries;
}

}  // namespace

Result<SecretBytes> LmdbStore::Impl::open_sealed(std::string_view database, std::string_view rk,
                                                 std::string_view sealed) const {
    const std::string what = database == k_refresh_token_seal ? "refresh token" : "record";
    const auto id = Sealer::key_id_of(sealed);
    if (!id) return make_error(Errc::internal, what + " is truncated or of an unknown format version");
    const auto it = data_keys.find(*id);
    if (it == data_keys.end()) {
        return make_error(Errc::internal, what + " is sealed under unknown key id " + std::to_string(*id));
    }
    auto opened = it->second.open(database, rk, sealed);
    // The Sealer's messages name a "record"; say which sealed value failed.
    if (!opened && what != "record" && opened.error().message.starts_with("record ")) {
        return make_error(opened.error().code, what + opened.error().message.substr(6));
    }
    return opened;
}

namespace {

// Verifies the key check, or writes it into a store that has no records yet.
Result<void> check_master(const Sealer& master, MDB_txn* txn, MDB_dbi meta, bool has_records) {
    MDB_val k = val(k_key_check);
    MDB_val v{};
    const int rc = mdb_get(txn, meta, &k, &v);
    if (rc == 0) {
        auto opened = master.open(k_meta_db, k_key_check, view(v));
        if (!opened || opened->reveal() != k_key_check_plain) {
            return make_error(Errc::internal, "master key does not match this store");
        }
        return {};
    }
    if (rc != MDB_NOTFOUND) return lmdb_error("read key check", rc);
    // Records without a key check: never seal new data over them blindly.
    if (has_records) return make_error(Errc::internal, "store has records but no key check; refusing to guess the key");
    const std::string sealed = master.seal(k_meta_db, k_key_check, SecretBytes::from(k_key_check_plain));
    MDB_val sv = val(sealed);
    if (int prc = mdb_put(txn, meta, &k, &sv, 0); prc != 0) return lmdb_error("write key check", prc);
    return {};
}

// Opens every `data_key/` record into `keys`; returns the newest id (0: none).
Result<std::uint32_t> read_data_keys(const Sealer& master, MDB_txn* txn, MDB_dbi meta,
                                     std::map<std::uint32_t, Sealer>& keys) {
    MDB_cursor* cur = nullptr;
    if (int rc = mdb_cursor_open(txn, meta, &cur); rc != 0) return lmdb_error("cursor", rc);
    std::uint32_t newest = 0;
    MDB_val k = val(k_data_key_prefix);
    MDB_val v{};
    int rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
    for (; rc == 0; rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        const auto id = data_key_id(view(k));
        if (!id) break;
        auto key = master.open(k_meta_db, view(k), view(v));
        if (!key || key->size() != k_master_key_bytes) {
            mdb_cursor_close(cur);
            return make_error(Errc::internal, "data key " + std::to_string(*id) + " does not open with the master key");
        }
        keys.emplace(*id, Sealer(std::move(*key), *id));
        newest = *id;  // keys sort by id: the last one is the newest
    }
    mdb_cursor_close(cur);
    if (rc != 0 && rc != MDB_NOTFOUND) return lmdb_error("read data keys", rc);
    return newest;
}

// A fresh random data key and its `data_key/<id>` record sealed under `master`.
std::pair<SecretBytes, std::string> new_data_key(const Sealer& master, std::uint32_t id) {
    auto key = SecretBytes::zeroed(k_master_key_bytes);
    randombytes_buf(key.data(), key.size());
    std::string sealed = master.seal(k_meta_db, data_key_name(id), key);
    return {std::move(key), std::move(sealed)};
}

}  // namespace

// One write transaction: the key check (verified, or written into an empty
// store), then every data key (loaded, or the first one created).
Result<void> LmdbStore::Impl::load_keys() {
    Txn txn(env, 0);
    if (txn.begin_rc() != 0) return lmdb_error("begin", txn.begin_rc());
    const bool has_records = entries(txn.get(), credentials) != 0;
    if (auto r = check_master(master, txn.get(), meta, has_records); !r) return r.error();
    auto newest = read_data_keys(master, txn.get(), meta, data_keys);
    if (!newest) return newest.error();
    current = *newest;
    if (data_keys.empty()) {
        if (has_records) return make_error(Errc::internal, "store has records but no data key");
        auto [key, sealed] = new_data_key(master, 1);
        const std::string name = data_key_name(1);
        MDB_val nk = val(name);
        MDB_val sv = val(sealed);
        if (int rc = mdb_put(txn.get(), meta, &nk, &sv, 0); rc != 0) return lmdb_error("write data key", rc);
        data_keys.emplace(1, Sealer(std::move(key), 1));
        current = 1;
    }
    if (int rc = txn.commit(); rc != 0) return lmdb_error("commit keys", rc);
    return {};
}

Result<std::uint32_t> LmdbStore::begin_rotation() {
    auto& im = *impl_;
    if (im.data_keys.size() > 1) return im.current;  // a rotation is under way: continue it
    const std::uint32_t id = im.current + 1;
    auto fresh = new_data_key(im.master, id);
    const std::string name = data_key_name(id);
    const std::string& sealed = fresh.second;  // clang < 16 cannot capture a structured binding
    auto r = im.write("install data key", [&](MDB_txn* txn) {
        MDB_val k = val(name);
        MDB_val v = val(sealed);
        return mdb_put(txn, im.meta, &k, &v, MDB_NOOVERWRITE);
    });
    if (!r) return r.error();
    im.data_keys.emplace(id, Sealer(std::move(fresh.first), id));
    im.current = id;
    im.rotate_from.clear();
    return id;
}

bool LmdbStore::rotating() const {
    return impl_->data_keys.size() > 1;
}

// One transaction: a crash leaves either the old master key's seals or the
// new one's, never a mix.
Result<void> LmdbStore::replace_master_key(SecretBytes new_master) {
    auto& im = *impl_;
    Sealer next(std::move(new_master));
    if (next.key_id() == im.master.key_id()) {
        return make_error(Errc::bad_request, "the new master key is the current one");
    }
    std::optional<Error> failure;
    auto r = im.write("replace master key", [&](MDB_txn* txn) -> int {
        const std::string check = next.seal(k_meta_db, k_key_check, SecretBytes::from(k_key_check_plain));
        MDB_val ck = val(k_key_check);
        MDB_val cv = val(check);
        if (int rc = mdb_put(txn, im.meta, &ck, &cv, 0); rc != 0) return rc;
        for (const auto& [id, sealer] : im.data_keys) {
            const std::string name = data_key_name(id);
            MDB_val k = val(name);
            MDB_val v{};
            if (int rc = mdb_get(txn, im.meta, &k, &v); rc != 0) return rc;
            auto key = im.master.open(k_meta_db, name, view(v));
            if (!key) {
                failure =
                    make_error(Errc::internal, "data key " + std::to_string(id) + " does not open with the master key");
                return EINVAL;
            }
            const std::string resealed = next.seal(k_meta_db, name, *key);
            MDB_val nv = val(resealed);
            if (int rc = mdb_put(txn, im.meta, &k, &nv, 0); rc != 0) return rc;
        }
        return 0;
    });
    if (failure) return *failure;
    if (!r) return r.error();
    im.master = std::move(next);
    return {};
}

namespace {

struct Resealed {
    std::vector<std::pair<std::string, std::string>> values;  // record key, new sealed value
    bool reached_end = false;
    std::string next;  // where the next batch starts
};

// Collects up to `max` records not under the current key, from `from` on.
Result<Resealed> collect(LmdbStore::Impl& im, MDB_txn* txn, const std::string& from, std::size_t max) {
    MDB_cursor* cur = nullptr;
    if (int rc = mdb_cursor_open(txn, im.credentials, &cur); rc != 0) return lmdb_error("cursor", rc);
    Resealed out;
    MDB_val k = val(from);
    MDB_val v{};
    int rc = from.empty() ? mdb_cursor_get(cur, &k, &v, MDB_FIRST) : mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
    for (; rc == 0; rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        if (out.values.size() == max) {
            out.next = std::string(view(k));
            break;
        }
        if (Sealer::key_id_of(view(v)) == im.current) continue;
        auto decoded = im.read_record(view(k), view(v));
        auto sealed = decoded ? im.seal_record(view(k), decoded->record, decoded->sealed_refresh_token)
                              : Result<std::string>(decoded.error());
        if (!sealed) {
            mdb_cursor_close(cur);
            const auto ck = split_record_key(view(k)).value_or(CredentialKey{"?", "?"});
            return make_error(Errc::internal, "rotation stopped: credential " + ck.user + "/" + ck.provider + ": " +
                                                  sealed.error().message);
        }
        out.values.emplace_back(std::string(view(k)), std::move(*sealed));
    }
    mdb_cursor_close(cur);
    if (rc != 0 && rc != MDB_NOTFOUND) return lmdb_error("rotation scan", rc);
    out.reached_end = rc == MDB_NOTFOUND;
    return out;
}

}  // namespace

// Crash safety: every batch is one durable transaction, and the old keys are
// deleted only in a transaction that has just seen no record under them.
// After a crash both keys are loaded again and the rotation resumes.
Result<RotationStep> LmdbStore::rotate_batch(std::size_t max_records) {
    auto& im = *impl_;
    if (im.data_keys.size() <= 1) return RotationStep{0, true};
    RotationStep step;
    std::vector<std::uint32_t> retired;
    std::optional<Error> failure;
    std::string next;
    auto r = im.write("rotation batch", [&](MDB_txn* txn) -> int {
        retired.clear();
        auto batch = collect(im, txn, im.rotate_from, max_records);
        if (!batch) return failure = batch.error(), EINVAL;
        for (const auto& [rk, sealed] : batch->values) {
            MDB_val k = val(rk);
            MDB_val v = val(sealed);
            if (int rc = mdb_put(txn, im.credentials, &k, &v, 0); rc != 0) return rc;
        }
        step.resealed = batch->values.size();
        next = batch->next;
        if (!batch->reached_end) return 0;
        auto left = collect(im, txn, {}, 1);  // the pass is over; confirm from the start
        if (!left) return failure = left.error(), EINVAL;
        if (!left->values.empty()) return 0;  // the next batch starts a new pass
        for (const auto& [id, sealer] : im.data_keys) {
            if (id == im.current) continue;
            const std::string name = data_key_name(id);
            MDB_val k = val(name);
            if (int rc = mdb_del(txn, im.meta, &k, nullptr); rc != 0) return rc;
            retired.push_back(id);
        }
        return 0;
    });
    if (failure) return *failure;
    if (!r) return r.error();
    im.rotate_from = next;
    for (auto id : retired) im.data_keys.erase(id);
    step.done = im.data_keys.size() == 1;
    return step;
}

}  // namespace credctl::store
