// Transfer: copying credentials from one store into another, for
// `credctl admin restore` (docs/fleet.md "Admin on etcd"): restoring a
// backup, and moving a host's LMDB store into etcd without a new login.
//
// A record is copied whole (record, last access token, refresh token), so
// the destination serves it as the source did. It never overwrites a newer
// record: a credential already in the destination is replaced only when the
// copy is newer, compared on (updated_at, rotation) in that order. updated_at
// is set by every write of a credential (a login, a refresh, a state change);
// rotation breaks a tie within the same second. A new login resets rotation
// to 0, which is why it is not compared first. The destination's writes are
// its own (EtcdStore compares revisions), so a record changed by another
// host between the compare and the write is refused, not overwritten.
//
// Values are re-sealed on the way: the source opens them with its keys and
// the destination seals them under its own (an LMDB data key, or the etcd
// master key), so the refresh token passes through guarded memory for the
// moment of each copy. Reports never hold secrets.
//
// Synchronous functions on store::Store&; thread-safety is the stores'.
#pragma once

#include "common/error/error.hpp"
#include "daemon/store/lmdb_store.hpp"
#include "daemon/store/maintenance.hpp"
#include "daemon/store/sealer.hpp"
#include "daemon/store/store.hpp"

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

namespace credctl::store {

// True when `candidate` is a later version of a credential than `stored`.
[[nodiscard]] bool newer_than(const CredentialRecord& candidate, const CredentialRecord& stored);

// Copies every credential of `from` into `into`, record by record.
// Errors: only when `from` cannot be listed or `into` cannot be read at all
// (etcd unavailable); a record that fails is reported and the copy goes on.
[[nodiscard]] Result<TransferReport> copy_records(Store& from, Store& into);

// Restores the backup file at `path` (a data.mdb written by `admin backup`
// on either backend) into `into`, as copy_records(). The file is opened with
// `master` in a private copy in a fresh directory below `work_dir`, removed
// afterwards; the file itself is not changed. Errors: bad_request for a
// relative path or a file that is not a regular file; the backup's own
// open error ("master key does not match this store") otherwise.
[[nodiscard]] Result<TransferReport> restore_backup(const std::string& path, const Sealer& master,
                                                    const std::string& work_dir, Store& into);

// Writes a backup file at `path` (which must not exist): an LMDB store with
// its key check and data key sealed under `master`, built in a fresh
// directory below `work_dir`, filled by `fill` (in batches of its choice, so
// that a big export never holds every secret at once), then copied
// compacted as LmdbStore::backup(). Nothing is written at `path` when `fill`
// fails. Returns the file's size in bytes.
using BackupFill = std::function<Result<void>(LmdbStore& backup)>;
[[nodiscard]] Result<std::uint64_t> write_lmdb_backup(const std::string& path, const Sealer& master,
                                                      const std::string& work_dir, const BackupFill& fill);

}  // namespace credctl::store
