// LmdbStore's Maintenance: check every record, compacted backup, restore, figures.
#include "daemon/store/lmdb_internal.hpp"
#include "daemon/store/transfer.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace credctl::store {

Result<CheckReport> Maintenance::check() {
    CheckReport total;
    std::string from;
    do {
        auto part = check_batch(from, 10000);
        if (!part) return part.error();
        total.records += part->records;
        total.opened += part->opened;
        for (auto& f : part->failures) total.failures.push_back(std::move(f));
        from = std::move(part->next);
    } while (!from.empty());
    return total;
}

Result<CheckReport> LmdbStore::check_batch(const std::string& from, std::size_t max_records) {
    auto& im = *impl_;
    // The file may have been cut short since credd opened it.
    if (auto r = im.check_file_size(); !r) return r.error();
    Txn txn(im.env, MDB_RDONLY);
    if (txn.begin_rc() != 0) return lmdb_error("begin", txn.begin_rc());
    MDB_cursor* cur = nullptr;
    if (int rc = mdb_cursor_open(txn.get(), im.credentials, &cur); rc != 0) return lmdb_error("cursor", rc);
    CheckReport report;
    MDB_val k = val(from);
    MDB_val v{};
    int rc = from.empty() ? mdb_cursor_get(cur, &k, &v, MDB_FIRST) : mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
    for (; rc == 0; rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        if (report.records == max_records) {
            report.next = std::string(view(k));
            break;
        }
        ++report.records;
        const auto key = split_record_key(view(k));
        if (!key) {
            report.failures.push_back({{"?", "?"}, "record key has no user/provider separator"});
            continue;
        }
        auto decoded = im.read_record(view(k), view(v));
        if (!decoded) {
            report.failures.push_back({*key, decoded.error().message});
            continue;
        }
        // Authenticated by opening; the token is wiped when `token` goes.
        if (auto token = im.open_sealed(k_refresh_token_seal, view(k), decoded->sealed_refresh_token); !token) {
            report.failures.push_back({*key, token.error().message});
            continue;
        }
        ++report.opened;
    }
    mdb_cursor_close(cur);
    if (rc != 0 && rc != MDB_NOTFOUND) return lmdb_error("check scan", rc);
    return report;
}

Result<std::uint64_t> LmdbStore::backup(const std::string& path) {
    if (path.empty() || path.front() != '/') {
        return make_error(Errc::bad_request, "backup path must be absolute: \"" + path + "\"");
    }
    // O_EXCL: a backup never replaces a file, least of all the live store.
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0) return make_error(Errc::bad_request, "cannot create backup " + path + ": " + std::strerror(errno));
    int rc = mdb_env_copyfd2(impl_->env, fd, MDB_CP_COMPACT);
    if (rc == 0 && ::fsync(fd) != 0) rc = errno;
    struct stat st {};
    if (rc == 0 && ::fstat(fd, &st) != 0) rc = errno;
    ::close(fd);
    if (rc != 0) {
        ::unlink(path.c_str());
        return make_error(rc == ENOSPC ? Errc::store_full : Errc::internal,
                          "cannot write backup " + path + ": " + mdb_strerror(rc));
    }
    return static_cast<std::uint64_t>(st.st_size);
}

// The backup is opened in a directory of its own below the state directory:
// the same file system, and the one directory credd may always write.
Result<TransferReport> LmdbStore::restore(const std::string& path) {
    return restore_backup(path, impl_->master, impl_->directory, *this);
}

Result<StoreInfo> LmdbStore::info() {
    auto& im = *impl_;
    StoreInfo out;
    auto n = count();
    if (!n) return n.error();
    out.records = *n;
    MDB_envinfo ei{};
    MDB_stat st{};
    mdb_env_info(im.env, &ei);
    mdb_env_stat(im.env, &st);
    out.used_bytes = (static_cast<std::uint64_t>(ei.me_last_pgno) + 1) * st.ms_psize;
    out.map_bytes = im.map_bytes;
    out.max_map_bytes = im.max_map_bytes;
    out.current_key = im.current;
    for (const auto& [id, sealer] : im.data_keys) out.keys.push_back(id);
    unsigned flags = 0;
    mdb_env_get_flags(im.env, &flags);
    out.sync_commits = (flags & (MDB_NOSYNC | MDB_NOMETASYNC | MDB_WRITEMAP | MDB_MAPASYNC)) == 0;
    return out;
}

}  // namespace credctl::store
