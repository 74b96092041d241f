#include "daemon/store/lmdb_store.hpp"

#include "daemon/store/record_codec.hpp"

#include <lmdb.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace credctl::store {
namespace {

constexpr std::string_view k_credentials_db = "credentials";
constexpr std::string_view k_meta_db = "meta";
constexpr std::string_view k_key_check = "key_check";
constexpr std::string_view k_key_check_plain = "credctl key check v1";

Error lmdb_error(std::string_view what, int rc) {
    const Errc code = (rc == MDB_MAP_FULL || rc == ENOSPC) ? Errc::store_full : Errc::internal;
    return make_error(code, "store: " + std::string(what) + ": " + mdb_strerror(rc));
}

std::string record_key(const CredentialKey& k) {
    std::string s = k.user;
    s.push_back('\0');
    s += k.provider;
    return s;
}

MDB_val val(std::string_view s) { return MDB_val{s.size(), const_cast<char*>(s.data())}; }
std::string_view view(const MDB_val& v) { return {static_cast<const char*>(v.mv_data), v.mv_size}; }

// Aborts the transaction unless committed; keeps every early return clean.
class Txn {
public:
    Txn(MDB_env* env, unsigned flags) { rc_ = mdb_txn_begin(env, nullptr, flags, &txn_); }
    ~Txn() {
        if (txn_ != nullptr) mdb_txn_abort(txn_);
    }
    Txn(const Txn&) = delete;
    Txn& operator=(const Txn&) = delete;
    int begin_rc() const { return rc_; }
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

Result<void> prepare_directory(const std::string& dir) {
    if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) {
        return make_error(Errc::internal, "cannot create state directory " + dir + ": " + std::strerror(errno));
    }
    struct stat st {};
    if (::stat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
        return make_error(Errc::internal, "state directory " + dir + " is not a directory");
    }
    if (st.st_uid != ::geteuid() || (st.st_mode & 077) != 0) {
        return make_error(Errc::internal, "state directory " + dir + " must be owned by uid " +
                                              std::to_string(::geteuid()) + " with mode 0700");
    }
    return {};
}

}  // namespace

struct LmdbStore::Impl {
    explicit Impl(Sealer s) : sealer(std::move(s)) {}
    ~Impl() {
        if (env != nullptr) mdb_env_close(env);
    }
    Impl(const Impl&) = delete;
    Impl& operator=(const Impl&) = delete;

    Sealer sealer;
    MDB_env* env = nullptr;
    MDB_dbi credentials = 0;
    MDB_dbi meta = 0;

    Result<void> check_key();
};

Result<void> LmdbStore::Impl::check_key() {
    Txn txn(env, 0);
    if (txn.begin_rc() != 0) return lmdb_error("begin", txn.begin_rc());
    MDB_val k = val(k_key_check);
    MDB_val v{};
    const int rc = mdb_get(txn.get(), meta, &k, &v);
    if (rc == 0) {
        auto opened = sealer.open(k_meta_db, k_key_check, view(v));
        if (!opened || opened->reveal() != k_key_check_plain) {
            return make_error(Errc::internal, "master key does not match this store");
        }
        return {};
    }
    if (rc != MDB_NOTFOUND) return lmdb_error("read key check", rc);
    MDB_stat st{};
    mdb_stat(txn.get(), credentials, &st);
    if (st.ms_entries != 0) {
        // Records without a key check: never seal new data over them blindly.
        return make_error(Errc::internal, "store has records but no key check; refusing to guess the key");
    }
    const std::string sealed = sealer.seal(k_meta_db, k_key_check, SecretBytes::from(k_key_check_plain));
    MDB_val sv = val(sealed);
    if (const int prc = mdb_put(txn.get(), meta, &k, &sv, 0); prc != 0) return lmdb_error("write key check", prc);
    if (const int crc = txn.commit(); crc != 0) return lmdb_error("commit key check", crc);
    return {};
}

LmdbStore::LmdbStore(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
LmdbStore::~LmdbStore() = default;

Result<std::unique_ptr<LmdbStore>> LmdbStore::open(const LmdbOptions& options, Sealer sealer) {
    if (auto r = prepare_directory(options.directory); !r) return r.error();
    auto impl = std::make_unique<Impl>(std::move(sealer));
    if (int rc = mdb_env_create(&impl->env); rc != 0) return lmdb_error("create environment", rc);
    mdb_env_set_maxdbs(impl->env, 4);
    mdb_env_set_mapsize(impl->env, options.map_bytes);
    // MDB_NOTLS: reader slots belong to transactions, not threads.
    if (int rc = mdb_env_open(impl->env, options.directory.c_str(), MDB_NOTLS, 0600); rc != 0) {
        return lmdb_error("open " + options.directory, rc);
    }
    {
        Txn txn(impl->env, 0);
        if (txn.begin_rc() != 0) return lmdb_error("begin", txn.begin_rc());
        if (int rc = mdb_dbi_open(txn.get(), k_credentials_db.data(), MDB_CREATE, &impl->credentials); rc != 0) {
            return lmdb_error("open credentials database", rc);
        }
        if (int rc = mdb_dbi_open(txn.get(), k_meta_db.data(), MDB_CREATE, &impl->meta); rc != 0) {
            return lmdb_error("open meta database", rc);
        }
        if (int rc = txn.commit(); rc != 0) return lmdb_error("commit", rc);
    }
    if (auto r = impl->check_key(); !r) return r.error();
    return std::unique_ptr<LmdbStore>(new LmdbStore(std::move(impl)));
}

Result<void> LmdbStore::put(const CredentialKey& key, const CredentialRecord& record) {
    const std::string rk = record_key(key);
    const std::string sealed = impl_->sealer.seal(k_credentials_db, rk, encode_record(record));
    Txn txn(impl_->env, 0);
    if (txn.begin_rc() != 0) return lmdb_error("begin", txn.begin_rc());
    MDB_val k = val(rk);
    MDB_val v = val(sealed);
    if (int rc = mdb_put(txn.get(), impl_->credentials, &k, &v, 0); rc != 0) return lmdb_error("write", rc);
    if (int rc = txn.commit(); rc != 0) return lmdb_error("commit", rc);
    return {};
}

Result<std::optional<CredentialRecord>> LmdbStore::get(const CredentialKey& key) {
    const std::string rk = record_key(key);
    Txn txn(impl_->env, MDB_RDONLY);
    if (txn.begin_rc() != 0) return lmdb_error("begin", txn.begin_rc());
    MDB_val k = val(rk);
    MDB_val v{};
    const int rc = mdb_get(txn.get(), impl_->credentials, &k, &v);
    if (rc == MDB_NOTFOUND) return std::optional<CredentialRecord>{};
    if (rc != 0) return lmdb_error("read", rc);
    auto plain = impl_->sealer.open(k_credentials_db, rk, view(v));
    if (!plain) {
        return make_error(Errc::internal, "store: credential " + key.user + "/" + key.provider + ": " +
                                              plain.error().message);
    }
    auto rec = decode_record(*plain);
    if (!rec) return rec.error();
    return std::optional<CredentialRecord>{std::move(*rec)};
}

Result<std::vector<CredentialKey>> LmdbStore::keys(const std::string& user) {
    Txn txn(impl_->env, MDB_RDONLY);
    if (txn.begin_rc() != 0) return lmdb_error("begin", txn.begin_rc());
    MDB_cursor* cur = nullptr;
    if (int rc = mdb_cursor_open(txn.get(), impl_->credentials, &cur); rc != 0) return lmdb_error("cursor", rc);
    std::vector<CredentialKey> out;
    std::string prefix = user.empty() ? std::string() : user + std::string(1, '\0');
    MDB_val k = val(prefix);
    MDB_val v{};
    int rc = prefix.empty() ? mdb_cursor_get(cur, &k, &v, MDB_FIRST) : mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
    for (; rc == 0; rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        const auto key = view(k);
        if (!prefix.empty() && key.substr(0, prefix.size()) != prefix) break;
        const auto nul = key.find('\0');
        if (nul == std::string_view::npos) continue;
        out.push_back({std::string(key.substr(0, nul)), std::string(key.substr(nul + 1))});
    }
    mdb_cursor_close(cur);
    if (rc != 0 && rc != MDB_NOTFOUND) return lmdb_error("list", rc);
    return out;
}

Result<bool> LmdbStore::erase(const CredentialKey& key) {
    const std::string rk = record_key(key);
    Txn txn(impl_->env, 0);
    if (txn.begin_rc() != 0) return lmdb_error("begin", txn.begin_rc());
    MDB_val k = val(rk);
    const int rc = mdb_del(txn.get(), impl_->credentials, &k, nullptr);
    if (rc == MDB_NOTFOUND) return false;
    if (rc != 0) return lmdb_error("delete", rc);
    if (int crc = txn.commit(); crc != 0) return lmdb_error("commit", crc);
    return true;
}

Result<std::uint64_t> LmdbStore::count() {
    Txn txn(impl_->env, MDB_RDONLY);
    if (txn.begin_rc() != 0) return lmdb_error("begin", txn.begin_rc());
    MDB_stat st{};
    if (int rc = mdb_stat(txn.get(), impl_->credentials, &st); rc != 0) return lmdb_error("stat", rc);
    return static_cast<std::uint64_t>(st.ms_entries);
}

}  // namespace credctl::store
