// RefreshLock: the fleet-wide single flight (docs/fleet.md "The refresh
// lock"), offered by a Store whose records several credds share
// (Store::refresh_lock(); EtcdStore). At most one host holds the lock of a
// credential at a time; it is held under a lease that the holder keeps
// alive while its refresh runs, so a lock whose holder died or was cut off
// ends with its lease. Above it, each process keeps its own single flight
// (daemon/tokens/flight.hpp): a host takes the lock once per refresh, not
// once per caller.
//
// TokenService takes the lock before the pending mark, and a host that
// finds it taken does not call the provider: it waits for the lock to go and
// reads the record that the holder committed.
//
// Thread-safety: as the Store that offers it: called through the daemon's
// store::StoreRunner (store_runner.hpp), one thread at a time.
#pragma once

#include "common/error/error.hpp"
#include "daemon/store/store.hpp"

#include <chrono>

namespace credctl::store {

class RefreshLock {
public:
    virtual ~RefreshLock() = default;
    // Takes the lock of `key` for this process: true when it holds it now,
    // false when another holder does. Errors: the store cannot be reached.
    [[nodiscard]] virtual Result<bool> try_lock(const CredentialKey& key) = 0;
    // Renews the lease of a lock this process holds; false when it is gone
    // (expired: another host may take it).
    [[nodiscard]] virtual Result<bool> keep_alive(const CredentialKey& key) = 0;
    // Releases a lock this process holds; nothing when it holds none.
    virtual void unlock(const CredentialKey& key) = 0;
    // Whether anyone (this process included) holds the lock of `key` now.
    [[nodiscard]] virtual Result<bool> locked(const CredentialKey& key) = 0;
    // The lease a lock is held under: renew well within it.
    [[nodiscard]] virtual std::chrono::seconds lease() const = 0;
};

}  // namespace credctl::store
