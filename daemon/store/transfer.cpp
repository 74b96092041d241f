#include "daemon/store/transfer.hpp"

#include <sys/stat.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <system_error>
#include <tuple>

namespace credctl::store {
namespace {

// A directory of mode 0700 made by mkdtemp, removed with all it holds.
class WorkDir {
public:
    static Result<WorkDir> make(const std::string& parent, std::string_view what) {
        std::string pattern = parent + "/." + std::string(what) + "-XXXXXX";
        if (::mkdtemp(pattern.data()) == nullptr) {
            return make_error(Errc::internal, "cannot create a " + std::string(what) + " directory in " + parent +
                                                  ": " + std::strerror(errno));
        }
        return WorkDir(std::move(pattern));
    }
    WorkDir(WorkDir&& other) noexcept : path_(std::move(other.path_)) { other.path_.clear(); }
    WorkDir& operator=(WorkDir&&) = delete;
    WorkDir(const WorkDir&) = delete;
    WorkDir& operator=(const WorkDir&) = delete;
    ~WorkDir() {
        std::error_code ec;
        if (!path_.empty()) std::filesystem::remove_all(path_, ec);
    }
    [[nodiscard]] const std::string& path() const { return path_; }

private:
    explicit WorkDir(std::string path) : path_(std::move(path)) {}
    std::string path_;
};

TransferItem copy_one(Store& from, Store& into, const CredentialKey& key) {
    auto record = from.get(key);
    if (!record) return {key, TransferOutcome::failed, record.error().message};
    if (!*record) return {key, TransferOutcome::skipped, "removed from the source during the copy"};
    auto stored = into.get(key);
    if (!stored)
        return {key, TransferOutcome::failed, "the record in this store does not open: " + stored.error().message};
    if (*stored && !newer_than(**record, **stored)) {
        const bool same = (*stored)->updated_at == (*record)->updated_at && (*stored)->rotation == (*record)->rotation;
        if (same) return {key, TransferOutcome::skipped, "this store holds the same version"};
        return {key, TransferOutcome::refused,
                "this store holds a newer record (updated at " + std::to_string((*stored)->updated_at) + ", rotation " +
                    std::to_string((*stored)->rotation) + "; the copy: updated at " +
                    std::to_string((*record)->updated_at) + ", rotation " + std::to_string((*record)->rotation) + ")"};
    }
    // Opened only now, after the compare, and wiped when `token` goes.
    auto token = from.refresh_token(key);
    if (!token) return {key, TransferOutcome::failed, token.error().message};
    if (auto put = into.put(key, **record, *token); !put) return {key, TransferOutcome::failed, put.error().message};
    return {key, TransferOutcome::moved, {}};
}

Result<std::string> regular_file(const std::string& path) {
    if (path.empty() || path.front() != '/') {
        return make_error(Errc::bad_request, "backup path must be absolute: \"" + path + "\"");
    }
    struct stat st {};
    if (::lstat(path.c_str(), &st) != 0) {
        return make_error(Errc::bad_request, "cannot read backup " + path + ": " + std::strerror(errno));
    }
    if (!S_ISREG(st.st_mode)) return make_error(Errc::bad_request, "backup " + path + " is not a regular file");
    return path;
}

}  // namespace

std::string_view to_string(TransferOutcome o) {
    switch (o) {
        case TransferOutcome::moved:
            return "moved";
        case TransferOutcome::skipped:
            return "skipped";
        case TransferOutcome::refused:
            return "refused";
        case TransferOutcome::failed:
            return "failed";
    }
    return "failed";
}

bool newer_than(const CredentialRecord& candidate, const CredentialRecord& stored) {
    return std::tie(candidate.updated_at, candidate.rotation) > std::tie(stored.updated_at, stored.rotation);
}

Result<TransferReport> copy_records(Store& from, Store& into) {
    auto keys = from.keys("");
    if (!keys) return keys.error();
    // One read of the destination first: a store that cannot be reached at
    // all is an error, not one failure per credential.
    if (auto n = into.count(); !n) return n.error();
    TransferReport report;
    for (const auto& key : *keys) {
        auto item = copy_one(from, into, key);
        switch (item.outcome) {
            case TransferOutcome::moved:
                ++report.moved;
                break;
            case TransferOutcome::skipped:
                ++report.skipped;
                break;
            case TransferOutcome::refused:
                ++report.refused;
                break;
            case TransferOutcome::failed:
                ++report.failed;
                break;
        }
        report.items.push_back(std::move(item));
    }
    return report;
}

Result<TransferReport> restore_backup(const std::string& path, const Sealer& master, const std::string& work_dir,
                                      Store& into) {
    auto file = regular_file(path);
    if (!file) return file.error();
    auto dir = WorkDir::make(work_dir, "restore");
    if (!dir) return dir.error();
    std::error_code ec;
    std::filesystem::copy_file(path, dir->path() + "/data.mdb", ec);
    if (ec) return make_error(Errc::bad_request, "cannot read backup " + path + ": " + ec.message());
    LmdbOptions options;
    options.directory = dir->path();
    auto backup = LmdbStore::open(options, master.clone());
    if (!backup) return make_error(backup.error().code, "backup " + path + ": " + backup.error().message);
    return copy_records(**backup, into);
}

Result<std::uint64_t> write_lmdb_backup(const std::string& path, const Sealer& master, const std::string& work_dir,
                                        const BackupFill& fill) {
    if (path.empty() || path.front() != '/') {
        return make_error(Errc::bad_request, "backup path must be absolute: \"" + path + "\"");
    }
    auto dir = WorkDir::make(work_dir, "backup");
    if (!dir) return dir.error();
    LmdbOptions options;
    options.directory = dir->path();
    auto lmdb = LmdbStore::open(options, master.clone());
    if (!lmdb) return lmdb.error();
    if (auto filled = fill(**lmdb); !filled) return filled.error();
    return (*lmdb)->backup(path);
}

}  // namespace credctl::store
