#include "daemon/store/lmdb_store.hpp"

#include "daemon/store/lmdb_internal.hpp"
#include "daemon/store/record_codec.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace credctl::store {

Error lmdb_error(std::string_view what, int rc) {
    const bool full = rc == MDB_MAP_FULL || rc == ENOSPC || rc == EDQUOT;
    return make_error(full ? Errc::store_full : Errc::internal,
                      "store: " + std::string(what) + ": " + mdb_strerror(rc));
}

namespace {

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

std::string mib(std::size_t bytes) {
    return std::to_string(bytes >> 20) + " MiB";
}

}  // namespace

bool LmdbStore::Impl::grow() {
    if (map_bytes >= max_map_bytes) return false;
    const std::size_t next = std::min(max_map_bytes, map_bytes * 2);
    if (mdb_env_set_mapsize(env, next) != 0) return false;
    map_bytes = next;
    return true;
}

Error LmdbStore::Impl::failed_write(std::string_view what, int rc) const {
    if (rc == MDB_MAP_FULL) {
        return make_error(Errc::store_full, "store: " + std::string(what) + ": the store reached its size cap of " +
                                                mib(max_map_bytes) + " ([store] max_map_bytes)");
    }
    if (rc == ENOSPC || rc == EDQUOT) {
        return make_error(Errc::store_full,
                          "store: " + std::string(what) + ": no space left on the file system of " + directory);
    }
    return lmdb_error(what, rc);
}

Result<void> LmdbStore::Impl::check_file_size() const {
    mdb_filehandle_t fd = -1;
    struct stat file {};
    if (mdb_env_get_fd(env, &fd) != 0 || ::fstat(fd, &file) != 0) {
        return make_error(Errc::internal, "store: cannot read the size of " + directory + "/data.mdb");
    }
    const auto size = static_cast<std::uint64_t>(file.st_size);
    // The two meta pages come first and are read through the map too: check
    // them before asking LMDB for the page count they hold.
    auto needed = 2 * static_cast<std::uint64_t>(::sysconf(_SC_PAGESIZE));
    MDB_envinfo ei{};
    MDB_stat st{};
    if (size >= needed && mdb_env_info(env, &ei) == 0 && mdb_env_stat(env, &st) == 0) {
        // Pages 0 .. me_last_pgno are in use (lmdb.h, MDB_envinfo).
        needed = (static_cast<std::uint64_t>(ei.me_last_pgno) + 1) * st.ms_psize;
    }
    if (size < needed) {
        return make_error(Errc::internal, "store: " + directory + "/data.mdb is truncated: " + std::to_string(size) +
                                              " bytes, but its pages in use need " + std::to_string(needed) +
                                              "; restore it from a backup (credctl admin backup)");
    }
    return {};
}

LmdbStore::LmdbStore(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
LmdbStore::~LmdbStore() = default;

Result<std::unique_ptr<LmdbStore>> LmdbStore::open(const LmdbOptions& options, Sealer master) {
    if (auto r = prepare_directory(options.directory); !r) return r.error();
    auto impl = std::make_unique<Impl>(std::move(master));
    impl->directory = options.directory;
    impl->max_map_bytes = options.max_map_bytes;  // the cap wins over the initial size
    if (int rc = mdb_env_create(&impl->env); rc != 0) return lmdb_error("create environment", rc);
    mdb_env_set_maxdbs(impl->env, 4);
    mdb_env_set_mapsize(impl->env, std::min(options.initial_map_bytes, impl->max_map_bytes));
    // MDB_NOTLS: reader slots belong to transactions, not threads.
    // MDB_NORDAHEAD: lookups are random; readahead and fault-around would
    // map (and count in RSS) pages around every record read.
    if (int rc = mdb_env_open(impl->env, options.directory.c_str(), MDB_NOTLS | MDB_NORDAHEAD, 0600); rc != 0) {
        if (rc == MDB_INVALID) {
            return make_error(Errc::internal, "store: " + options.directory +
                                                  "/data.mdb is not an LMDB file, or is truncated before its "
                                                  "meta pages; restore it from a backup (credctl admin backup)");
        }
        return lmdb_error("open " + options.directory, rc);
    }
    // Before any transaction: the first one reads the root pages.
    if (auto r = impl->check_file_size(); !r) return r.error();
    MDB_envinfo ei{};
    mdb_env_info(impl->env, &ei);  // an existing store bigger than the initial map keeps its size
    impl->map_bytes = ei.me_mapsize;
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
    if (auto r = impl->load_keys(); !r) return r.error();
    return std::unique_ptr<LmdbStore>(new LmdbStore(std::move(impl)));
}

Result<DecodedRecord> LmdbStore::Impl::read_record(std::string_view rk, std::string_view sealed) const {
    auto plain = open_record(rk, sealed);
    if (!plain) return plain.error();
    return decode_record(*plain);
}

Result<std::string> LmdbStore::Impl::seal_record(std::string_view rk, const CredentialRecord& record,
                                                 std::string_view sealed_refresh_token) const {
    const Sealer& sealer = current_sealer();
    if (Sealer::key_id_of(sealed_refresh_token) == current) {
        return sealer.seal(k_credentials_db, rk, encode_record(record, sealed_refresh_token));
    }
    auto token = open_sealed(k_refresh_token_seal, rk, sealed_refresh_token);
    if (!token) return token.error();
    const std::string resealed = sealer.seal(k_refresh_token_seal, rk, *token);
    return sealer.seal(k_credentials_db, rk, encode_record(record, resealed));
}

namespace {

Error unreadable(const CredentialKey& key, const Error& e) {
    return make_error(Errc::internal, "store: credential " + key.user + "/" + key.provider + ": " + e.message);
}

}  // namespace

Result<void> LmdbStore::put(const CredentialKey& key, const CredentialRecord& record,
                            const SecretBytes& refresh_token) {
    const std::string rk = record_key(key);
    const Sealer& sealer = impl_->current_sealer();
    const std::string inner = sealer.seal(k_refresh_token_seal, rk, refresh_token);
    const std::string sealed = sealer.seal(k_credentials_db, rk, encode_record(record, inner));
    return impl_->write("write", [&](MDB_txn* txn) {
        MDB_val k = val(rk);
        MDB_val v = val(sealed);
        return mdb_put(txn, impl_->credentials, &k, &v, 0);
    });
}

// Read, re-seal and write in one write transaction: a refresh token stored
// by a concurrent login can never be overwritten by an older one.
Result<void> LmdbStore::update(const CredentialKey& key, const CredentialRecord& record) {
    const std::string rk = record_key(key);
    std::optional<Error> failure;
    auto r = impl_->write("write", [&](MDB_txn* txn) -> int {
        MDB_val k = val(rk);
        MDB_val v{};
        if (int rc = mdb_get(txn, impl_->credentials, &k, &v); rc != 0) {
            if (rc == MDB_NOTFOUND)
                failure = make_error(Errc::not_found, "no credential for " + key.user + "/" + key.provider);
            return rc;
        }
        auto stored = impl_->read_record(rk, view(v));
        auto sealed =
            stored ? impl_->seal_record(rk, record, stored->sealed_refresh_token) : Result<std::string>(stored.error());
        if (!sealed) return failure = unreadable(key, sealed.error()), EINVAL;
        MDB_val nv = val(*sealed);
        return mdb_put(txn, impl_->credentials, &k, &nv, 0);
    });
    if (failure) return *failure;
    return r;
}

Result<void> LmdbStore::put_batch(const std::vector<NewCredential>& credentials) {
    std::vector<std::pair<std::string, std::string>> sealed;
    sealed.reserve(credentials.size());
    const Sealer& sealer = impl_->current_sealer();
    for (const auto& c : credentials) {
        std::string rk = record_key(c.key);
        const std::string inner = sealer.seal(k_refresh_token_seal, rk, c.refresh_token);
        std::string value = sealer.seal(k_credentials_db, rk, encode_record(c.record, inner));
        sealed.emplace_back(std::move(rk), std::move(value));
    }
    return impl_->write("write batch", [&](MDB_txn* txn) {
        for (const auto& [rk, value] : sealed) {
            MDB_val k = val(rk);
            MDB_val v = val(value);
            if (int rc = mdb_put(txn, impl_->credentials, &k, &v, 0); rc != 0) return rc;
        }
        return 0;
    });
}

namespace {

// The sealed value of one record, read in a transaction of its own.
Result<std::optional<DecodedRecord>> read(LmdbStore::Impl& im, const CredentialKey& key) {
    const std::string rk = record_key(key);
    Txn txn(im.env, MDB_RDONLY);
    if (txn.begin_rc() != 0) return lmdb_error("begin", txn.begin_rc());
    MDB_val k = val(rk);
    MDB_val v{};
    const int rc = mdb_get(txn.get(), im.credentials, &k, &v);
    if (rc == MDB_NOTFOUND) return std::optional<DecodedRecord>{};
    if (rc != 0) return lmdb_error("read", rc);
    auto decoded = im.read_record(rk, view(v));
    if (!decoded) return unreadable(key, decoded.error());
    return std::optional<DecodedRecord>{std::move(*decoded)};
}

}  // namespace

Result<std::optional<CredentialRecord>> LmdbStore::get(const CredentialKey& key) {
    auto decoded = read(*impl_, key);
    if (!decoded) return decoded.error();
    if (!*decoded) return std::optional<CredentialRecord>{};
    return std::optional<CredentialRecord>{std::move((*decoded)->record)};
}

Result<SecretBytes> LmdbStore::refresh_token(const CredentialKey& key) {
    auto decoded = read(*impl_, key);
    if (!decoded) return decoded.error();
    if (!*decoded) return make_error(Errc::not_found, "no credential for " + key.user + "/" + key.provider);
    auto token = impl_->open_sealed(k_refresh_token_seal, record_key(key), (*decoded)->sealed_refresh_token);
    if (!token) return unreadable(key, token.error());
    return std::move(*token);
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
        if (auto ck = split_record_key(key)) out.push_back(std::move(*ck));
    }
    mdb_cursor_close(cur);
    if (rc != 0 && rc != MDB_NOTFOUND) return lmdb_error("list", rc);
    return out;
}

Result<bool> LmdbStore::erase(const CredentialKey& key) {
    const std::string rk = record_key(key);
    bool removed = false;
    auto r = impl_->write("delete", [&](MDB_txn* txn) {
        MDB_val k = val(rk);
        const int rc = mdb_del(txn, impl_->credentials, &k, nullptr);
        removed = rc == 0;
        return rc == MDB_NOTFOUND ? 0 : rc;
    });
    if (!r) return r.error();
    return removed;
}

Result<std::uint64_t> LmdbStore::count() {
    Txn txn(impl_->env, MDB_RDONLY);
    if (txn.begin_rc() != 0) return lmdb_error("begin", txn.begin_rc());
    MDB_stat st{};
    if (int rc = mdb_stat(txn.get(), impl_->credentials, &st); rc != 0) return lmdb_error("stat", rc);
    return static_cast<std::uint64_t>(st.ms_entries);
}

}  // namespace credctl::store
