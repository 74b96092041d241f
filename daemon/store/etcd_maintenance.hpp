// EtcdMaintenance: `credctl admin` on the etcd backend (docs/fleet.md "Admin
// on etcd"), the Maintenance of an EtcdStore.
//
// - check: opens every record of one range (EtcdStore::scan()) and its
//   refresh token, and names those that do not open or decode;
// - backup: the records of one range, at one etcd revision, written as an
//   LMDB backup file (transfer.hpp write_lmdb_backup()): the format of
//   `admin backup` on LMDB, so one file restores into either backend. The
//   values are re-sealed on the way (etcd seals records under the master
//   key, LMDB under a data key sealed by it);
// - restore: copies a backup file's credentials into etcd, never over a
//   newer record (transfer.hpp): the migration of an LMDB host into etcd;
// - status: the number of records, the current data key and every one stored;
// - key rotation (docs/fleet.md "Key rotation on a fleet"): a new data key
//   named current for the whole fleet (etcd_keys.hpp), then passes over the
//   records, each read in one range, re-sealing those under an older key one
//   compare-on-mod_revision transaction each: a write committed meanwhile
//   wins and the record is read again once; a record in a refresh (its lock
//   held, or refresh_pending) is left. A pass that finds no record under an
//   older key retires those keys. A run ends there, or when a pass re-sealed
//   nothing and left some (RotationStep::left: a next run finishes them);
// - master key replacement: every data key and the key check re-sealed
//   under the new master key in one transaction; refused while a record is
//   still sealed under the master key itself (written before data keys).
//
// Work files (a backup being built, a backup being read) live in a fresh
// directory below `work_dir` (credd's state directory), removed afterwards.
//
// Thread-safety: that of the EtcdStore (one thread at a time).
#pragma once

#include "daemon/store/etcd_store.hpp"
#include "daemon/store/maintenance.hpp"
#include "daemon/store/sealer.hpp"

#include <atomic>
#include <optional>
#include <string>

namespace credctl::store {

class EtcdMaintenance final : public Maintenance {
public:
    // `store` must outlive this; `master` is the store's master key (a clone).
    EtcdMaintenance(EtcdStore& store, Sealer master, std::string work_dir);

    // One range for the whole prefix: `from` and `max_records` are ignored,
    // and the report is complete (next is empty).
    Result<CheckReport> check_batch(const std::string& from, std::size_t max_records) override;
    // Errors: internal naming the first credential that does not open (a
    // backup leaves nothing out silently, and writes no file then);
    // provider_unavailable when etcd does not answer; as
    // write_lmdb_backup() otherwise.
    Result<std::uint64_t> backup(const std::string& path) override;
    Result<TransferReport> restore(const std::string& path) override;
    Result<StoreInfo> info() override;
    Result<std::uint32_t> begin_rotation() override;
    Result<RotationStep> rotate_batch(std::size_t max_records) override;
    // True from begin_rotation() until its run ends (read on the I/O thread).
    bool rotating() const override { return running_; }
    Result<void> replace_master_key(SecretBytes new_master) override;

private:
    [[nodiscard]] Result<bool> reseal_one(const etcd::KeyValue& stored);
    RotationStep end_run(std::uint64_t resealed, std::uint64_t left);
    Error stop(Error e);  // the run ends with an error

    EtcdStore& store_;
    Sealer master_;
    std::string work_dir_;
    std::atomic<bool> running_{false};
    std::optional<EtcdStore::RotationPass> pass_;  // the pass being re-sealed
    std::size_t at_ = 0;                           // its next record
    std::uint64_t pass_resealed_ = 0;
    std::uint64_t pass_left_ = 0;
    int passes_ = 0;  // of this run
};

}  // namespace credctl::store
