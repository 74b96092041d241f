// Maintenance: what an administrator does to a store besides storing
// credentials (credctl admin; docs/store-format.md "Operations"): verify that
// every record opens, take a consistent compacted backup, and rotate the data
// key in bounded batches while the daemon keeps serving.
//
// Kept apart from Store so that the Store interface stays the narrow seam of
// docs/design.md "The Store seam"; a replicated backend would offer its own
// equivalents or none. Reports never contain secrets.
//
// Thread-safety: like Store, the daemon's I/O thread only.
#pragma once

#include "common/error/error.hpp"
#include "daemon/store/store.hpp"

#include <cstddef>
#include <cstdint>
#include <string>
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
    bool done = false;           // no record under an old key remains; old keys are retired
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
