// LmdbStore: the embedded Store backend (docs/store-format.md).
//
// One LMDB environment in the state directory (files 0600, directory 0700)
// with two databases: "credentials" (key: user NUL provider; value: a sealed
// record) and "meta" (the key-check record that makes a wrong master key a
// clear error at open). LMDB runs with its default durable commits (no
// MDB_NOSYNC, no MDB_WRITEMAP): put() returns only after fsync.
//
// Thread-safety: one thread at a time (the daemon's I/O thread).
#pragma once

#include "daemon/store/sealer.hpp"
#include "daemon/store/store.hpp"

#include <cstddef>
#include <memory>
#include <string>

namespace credctl::store {

struct LmdbOptions {
    std::string directory;
    std::size_t map_bytes = std::size_t{1} << 30;  // address space, not disk: LMDB files grow as used
};

class LmdbStore final : public Store {
public:
    // Opens or creates the environment. Errors: "master key does not match
    // this store" for a wrong key; internal for I/O and permission problems.
    [[nodiscard]] static Result<std::unique_ptr<LmdbStore>> open(const LmdbOptions& options, Sealer sealer);
    ~LmdbStore() override;
    LmdbStore(const LmdbStore&) = delete;
    LmdbStore& operator=(const LmdbStore&) = delete;

    Result<void> put(const CredentialKey& key, const CredentialRecord& record) override;
    Result<std::optional<CredentialRecord>> get(const CredentialKey& key) override;
    Result<std::vector<CredentialKey>> keys(const std::string& user) override;
    Result<bool> erase(const CredentialKey& key) override;
    Result<std::uint64_t> count() override;

private:
    struct Impl;
    explicit LmdbStore(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
};

}  // namespace credctl::store
