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
// - status: the number of records and the master key id.
// Key rotation and master key replacement are LMDB's only and answer an
// error naming docs/fleet.md, where the fleet design is written down.
//
// Work files (a backup being built, a backup being read) live in a fresh
// directory below `work_dir` (credd's state directory), removed afterwards.
//
// Thread-safety: that of the EtcdStore (one thread at a time).
#pragma once

#include "daemon/store/etcd_store.hpp"
#include "daemon/store/maintenance.hpp"
#include "daemon/store/sealer.hpp"

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
    bool rotating() const override { return false; }
    Result<void> replace_master_key(SecretBytes new_master) override;

private:
    EtcdStore& store_;
    Sealer master_;
    std::string work_dir_;
};

}  // namespace credctl::store
