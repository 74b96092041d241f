// LmdbStore: the embedded Store backend (docs/store-format.md).
//
// One LMDB environment in the state directory (files 0600, directory 0700)
// with two databases: "credentials" (key: user NUL provider; value: a record
// sealed under a data key, holding its refresh token sealed apart) and "meta" (the key-check record that makes a
// wrong master key a clear error at open, and the data keys, each sealed
// under the master key). LMDB runs with its default durable commits (no
// MDB_NOSYNC, no MDB_WRITEMAP): put() returns only after fsync. The map
// starts small and doubles when full, up to max_map_bytes; at the cap, or
// when the disk is full, writes fail with store_full and reads go on.
//
// Thread-safety: one thread at a time (the daemon's I/O thread). Read
// transactions never outlive a call, so with MDB_NOTLS a reader slot is held
// only for the duration of one get(): slots cannot run out under load.
#pragma once

#include "daemon/store/maintenance.hpp"
#include "daemon/store/sealer.hpp"
#include "daemon/store/store.hpp"

#include <cstddef>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace credctl::store {

// Address space, not disk: LMDB files grow only as pages are used.
inline constexpr std::size_t k_initial_map_bytes = std::size_t{16} << 20;
inline constexpr std::size_t k_default_max_map_bytes = std::size_t{4} << 30;

struct LmdbOptions {
    std::string directory;
    std::size_t initial_map_bytes = k_initial_map_bytes;
    std::size_t max_map_bytes = k_default_max_map_bytes;
};

class LmdbStore final : public Store, public Maintenance {
public:
    // Opens or creates the environment; `master` opens the key check and the
    // data keys. Errors: "master key does not match this store" for a wrong
    // key; internal for I/O and permission problems.
    [[nodiscard]] static Result<std::unique_ptr<LmdbStore>> open(const LmdbOptions& options, Sealer master);
    ~LmdbStore() override;
    LmdbStore(const LmdbStore&) = delete;
    LmdbStore& operator=(const LmdbStore&) = delete;

    Result<void> put(const CredentialKey& key, const CredentialRecord& record,
                     const SecretBytes& refresh_token) override;
    Result<void> update(const CredentialKey& key, const CredentialRecord& record) override;
    Result<std::optional<CredentialRecord>> get(const CredentialKey& key) override;
    Result<SecretBytes> refresh_token(const CredentialKey& key) override;
    Result<std::vector<CredentialKey>> keys(const std::string& user) override;
    Result<bool> erase(const CredentialKey& key) override;
    Result<std::uint64_t> count() override;

    // Many credentials in one durable transaction (bulk import, benchmarks).
    struct NewCredential {
        CredentialKey key;
        CredentialRecord record;
        SecretBytes refresh_token;
    };
    [[nodiscard]] Result<void> put_batch(const std::vector<NewCredential>& credentials);

    Result<CheckReport> check_batch(const std::string& from, std::size_t max_records) override;
    using Maintenance::check;
    Result<std::uint64_t> backup(const std::string& path) override;
    Result<TransferReport> restore(const std::string& path) override;
    Result<StoreInfo> info() override;
    Result<std::uint32_t> begin_rotation() override;
    Result<RotationStep> rotate_batch(std::size_t max_records) override;
    bool rotating() const override;
    Result<void> replace_master_key(SecretBytes new_master) override;

    struct Impl;

private:
    explicit LmdbStore(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
};

}  // namespace credctl::store
