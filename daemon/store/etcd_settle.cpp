// EtcdStore's lock-and-mark whose answer was lost (refresh_lock.hpp
// settle(), docs/fleet.md "A lock and mark whose answer was lost").
#include "common/log/log.hpp"
#include "daemon/store/etcd_store.hpp"

namespace credctl::store {

// A fence, then perhaps an undo. The fence puts the record's own value back,
// only if the record is still at the revision the lost mark compared on:
// when it lands, the revision has moved, and the mark (still in flight in
// the cluster, or proposed to a member that lost quorum and committed once
// quorum returns) is refused whenever it arrives. When the fence is refused,
// the record moved: if it holds the mark byte for byte (a fresh nonce makes
// every sealed value unique), the mark landed, and no refresh token was sent
// on it (its caller was answered with the error). The record goes back to
// what it was before the mark, only at the mark's revision, and the lock the
// mark took in the same transaction (so at the same revision) is deleted. If
// it holds anything else, another writer moved it, and the mark, which
// compares on an older revision, can never land.
Result<void> EtcdStore::settle(const std::string& ek) {
    const auto it = lost_.find(ek);
    if (it == lost_.end()) return {};
    const LostMark& lost = it->second;
    const std::string resource = lost.key.user + "/" + lost.key.provider;
    auto fence = client_->put_if(ek, lost.basis.sealed, lost.basis.mod_revision);
    if (!fence) return fence.error();
    kept_.erase(ek);
    seen_.erase(ek);  // the next write reads the revision first
    if (fence->succeeded) {
        log::info("store: " + resource + ": a refresh lock and mark whose answer was lost can no longer land");
        kept_[ek] = Kept{fence->revision, lost.basis.sealed, fence->revision};
        seen_[ek] = fence->revision;
    } else if (!fence->current.kvs.empty() && fence->current.kvs.front().value == lost.mark) {
        const std::int64_t marked_at = fence->current.kvs.front().mod_revision;
        auto undo = client_->put_if(ek, lost.basis.sealed, marked_at);
        if (!undo) return undo.error();
        if (undo->succeeded) {
            log::info("store: " + resource +
                      ": a refresh lock and mark whose answer was lost had landed; the record is as before it");
            auto unlocked = client_->erase_if(lock_key(lost.key), marked_at);
            if (!unlocked) {
                log::warning("store: releasing the refresh lock of " + resource + ": " + unlocked.error().message +
                             "; it ends with its lease");
            }
        }
    }
    lost_.erase(it);
    return {};
}

Result<bool> EtcdStore::settle() {
    while (!lost_.empty()) {
        if (auto r = settle(lost_.begin()->first); !r) return r.error();
    }
    return true;
}

}  // namespace credctl::store
