// RefreshLock: the fleet-wide single flight (docs/fleet.md "The refresh
// lock"), offered by a Store whose records several credds share
// (Store::refresh_lock(); EtcdStore). At most one host holds the lock of a
// credential at a time; it is held under a lease that the holder keeps
// alive while its refresh runs, so a lock whose holder died or was cut off
// ends with its lease. Above it, each process keeps its own single flight
// (daemon/tokens/flight.hpp): a host takes the lock once per refresh, not
// once per caller.
//
// A refresh writes twice (docs/fleet.md "Calls of one refresh"):
// lock_and_mark() takes the lock and stores the refresh_pending mark
// together, before the refresh token is sent; commit_and_unlock() stores the
// provider's answer and releases the lock together, before any caller is
// answered. Each is all or nothing. A host that finds the lock taken does not
// call the provider: it waits for the holder's commit (or for the lock to
// end) and serves the record that the holder committed.
//
// Thread-safety: as the Store that offers it: called through the daemon's
// store::StoreRunner (store_runner.hpp), one thread at a time.
#pragma once

#include "common/error/error.hpp"
#include "common/secret/secret_bytes.hpp"
#include "daemon/store/store.hpp"

#include <chrono>
#include <optional>

namespace credctl::store {

// What lock_and_mark() did.
struct MarkResult {
    enum class Outcome : std::uint8_t {
        marked,   // this process holds the lock and `record` is stored
        held,     // another holder has the lock; nothing written
        changed,  // the lock was free but the record moved since it was read; nothing written
    };
    Outcome outcome = Outcome::held;
    // held, changed: the record as it is now (std::nullopt: gone), which is
    // also what the next lock_and_mark() compares against.
    std::optional<CredentialRecord> current;
};

// The lock and the record of a credential as they were at one instant.
struct LockView {
    bool held = false;                       // someone (this process included) holds the lock
    std::optional<CredentialRecord> record;  // std::nullopt: no such credential
};

class RefreshLock {
public:
    virtual ~RefreshLock() = default;
    // As Store::get(), for the read that starts a refresh only: may be
    // answered without asking the store, from a copy of the record that the
    // store vouches is current (EtcdStore: its watch reported no change
    // since). Such an answer proves nothing about the store being reachable,
    // so the lock_and_mark() that follows may be proposed to a cluster
    // without quorum, time out, and land later: settle() puts that right.
    [[nodiscard]] virtual Result<std::optional<CredentialRecord>> get_to_refresh(const CredentialKey& key) = 0;
    // Takes the lock of `key` for this process and stores `record` (the
    // caller has set it refresh_pending), keeping the stored refresh token,
    // in one step: only if no one holds the lock and the record is still the
    // one this process last read of `key` (get() or get_to_refresh()
    // before). Afterwards refresh_token() opens the token that the mark
    // covers. Errors: the store cannot be reached (then perhaps both were
    // written, or will be: settle()).
    [[nodiscard]] virtual Result<MarkResult> lock_and_mark(const CredentialKey& key,
                                                           const CredentialRecord& record) = 0;
    // Settles every lock_and_mark() of this process whose answer was lost
    // (it returned an error: perhaps nothing was written, perhaps the lock
    // and the mark land later, or landed): makes sure such a mark can no
    // longer land, or undoes it if it did (the record as it was before, the
    // lock deleted), so that a mark on which no refresh token was sent is
    // never taken for an interrupted refresh (docs/fleet.md "A lock and mark
    // whose answer was lost"). Every later call on the same credential
    // settles it first, and fails while it cannot. true when nothing is
    // left to settle; errors: the store cannot be reached.
    [[nodiscard]] virtual Result<bool> settle() = 0;
    // Renews the lease of a lock this process holds; false when it is gone
    // (expired: another host may take it). Errors: the store cannot be
    // reached, which says nothing about the lease (ask again).
    [[nodiscard]] virtual Result<bool> keep_alive(const CredentialKey& key) = 0;
    // Stores `record` with `rotated` as its refresh token (nullptr: the one
    // stored stays) and releases the lock, in one step: only if the record
    // is still this process's pending mark and the lock is still its own (its
    // lease did not end). Errors: provider_unavailable when either is not so
    // (a late commit: nothing is written), or the store cannot be reached.
    [[nodiscard]] virtual Result<void> commit_and_unlock(const CredentialKey& key, const CredentialRecord& record,
                                                         const SecretBytes* rotated) = 0;
    // Releases a lock this process still holds (a refresh that ended without
    // commit_and_unlock()); nothing when it holds none.
    virtual void unlock(const CredentialKey& key) = 0;
    // Whether anyone (this process included) holds the lock of `key` now.
    [[nodiscard]] virtual Result<bool> locked(const CredentialKey& key) = 0;
    // The lock and the record read together, at one instant (one read): a
    // record found refresh_pending with the lock free is a refresh whose
    // holder is gone, not one that committed between two reads. Not for a
    // credential whose lock this process holds.
    [[nodiscard]] virtual Result<LockView> look(const CredentialKey& key) = 0;
    // The lease a lock is held under: renew well within it.
    [[nodiscard]] virtual std::chrono::seconds lease() const = 0;
    // How long until the lease of the lock this process holds on `key` is
    // due its first renewal: a third of lease() after it was last renewed,
    // which may be before the lock was taken (0: renew now).
    [[nodiscard]] virtual std::chrono::milliseconds renew_in(const CredentialKey& key) const {
        (void)key;
        return std::chrono::duration_cast<std::chrono::milliseconds>(lease()) / 3;
    }
};

}  // namespace credctl::store
