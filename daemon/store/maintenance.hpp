// Maintenance: what an administrator does to a store besides storing
// credentials (credctl admin; docs/store-format.md "Operations"): verify that
// every record opens, take a consistent compacted backup, restore one, and
// rotate the data key in bounded batches while the daemon keeps serving.
//
// Kept apart from Store so that the Store interface stays the narrow seam of
// docs/design.md "The Store seam". LmdbStore implements it; the etcd backend
// through EtcdMaintenance (etcd_maintenance.hpp, docs/fleet.md "Admin on
// etcd"). Reports never
// contain secrets.
//
// Thread-safety: like Store, the daemon's I/O thread only.
#pragma once

#include "common/error/error.hpp"
#include "daemon/store/store.hpp"

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace credctl::store {

struct CheckFailure {
    CredentialKey key;
    std::string reason;  // e.g. "record does not open (wrong key, moved or damaged)"
};

struct CheckReport {
    std::uint64_t records = 0;
    std::uint64_t opened = 0;
    std::vector<CheckFailure> failures;
    std::string next;  // check_batch(): where the next batch starts; empty when done
};

// The result of a restore (transfer.hpp): what each credential became.
enum class TransferOutcome : std::uint8_t {
    moved,    // written into the destination
    skipped,  // the destination holds the same version already
    refused,  // the destination holds a newer record: kept
    failed,   // did not open in the source, or the write failed
};
[[nodiscard]] std::string_view to_string(TransferOutcome o);

struct TransferItem {
    CredentialKey key;
    TransferOutcome outcome = TransferOutcome::moved;
    std::string reason;  // why skipped, refused or failed; empty when moved
};

struct TransferReport {
    std::uint64_t moved = 0;
    std::uint64_t skipped = 0;
    std::uint64_t refused = 0;
    std::uint64_t failed = 0;
    std::vector<TransferItem> items;  // one per credential of the source, in its order
};

struct StoreInfo {
    std::uint64_t records = 0;
    std::uint64_t used_bytes = 0;     // pages in use, times the page size
    std::uint64_t map_bytes = 0;      // current map size
    std::uint64_t max_map_bytes = 0;  // the configured cap
    std::uint32_t current_key = 0;    // data key id new records are sealed under
    std::vector<std::uint32_t> keys;  // every data key id still held (more than one: rotating)
    bool sync_commits = false;        // every commit is fsync'd (no NOSYNC, NOMETASYNC, WRITEMAP, MAPASYNC)
};

struct RotationStep {
    std::uint64_t resealed = 0;  // records re-sealed by this step
    bool done = false;           // the run is over: no record under an old key remains and old keys are retired,
                                 // unless `left` says otherwise
    std::uint64_t left = 0;      // done: records left under an older key (etcd: in a refresh); a next run re-seals them
};

class Maintenance {
public:
    virtual ~Maintenance() = default;
    // Opens and decodes up to `max_records` records from record key `from`
    // ("" = the first), in one read transaction. Errors only when the store
    // cannot be read at all.
    [[nodiscard]] virtual Result<CheckReport> check_batch(const std::string& from, std::size_t max_records) = 0;
    // Every record, batch after batch (tests and tools; credd yields between batches).
    [[nodiscard]] Result<CheckReport> check();
    // Writes a consistent, compacted copy of the store to `path`, which must
    // not exist (created 0600). Returns its size in bytes.
    [[nodiscard]] virtual Result<std::uint64_t> backup(const std::string& path) = 0;
    // Copies every credential of the backup file at `path` (written by
    // backup() on either backend) into this store, never over a newer record
    // (transfer.hpp). Errors: as store::restore_backup().
    [[nodiscard]] virtual Result<TransferReport> restore(const std::string& path) = 0;
    [[nodiscard]] virtual Result<StoreInfo> info() = 0;
    // Installs a new data key that every later write uses, unless a rotation
    // is already in progress (then it is continued). Returns the new key id.
    [[nodiscard]] virtual Result<std::uint32_t> begin_rotation() = 0;
    // Re-seals at most `max_records` records under the current key in one
    // durable transaction; retires the old keys once none of their records remain.
    [[nodiscard]] virtual Result<RotationStep> rotate_batch(std::size_t max_records) = 0;
    [[nodiscard]] virtual bool rotating() const = 0;
    // Re-seals the key check and every data key under `new_master` in one
    // durable transaction, and uses it from then on. Records are untouched
    // (rotate data keys for that). Errors: internal when a data key does not
    // open with the current master key.
    [[nodiscard]] virtual Result<void> replace_master_key(SecretBytes new_master) = 0;
};

}  // namespace credctl::store
