// EtcdStore's refresh lock (etcd_store.hpp, refresh_lock.hpp).
#include "common/log/log.hpp"
#include "daemon/store/etcd_store.hpp"
#include "daemon/store/etcd_txn.hpp"

#include <unistd.h>

#include <algorithm>
#include <climits>

namespace credctl::store {
namespace {

using Clock = std::chrono::steady_clock;

std::string resource(const CredentialKey& k) {
    return k.user + "/" + k.provider;
}

std::string holder_name() {
    char host[HOST_NAME_MAX + 1] = {};
    ::gethostname(host, sizeof host - 1);
    return std::string(host) + " pid " + std::to_string(::getpid());
}

}  // namespace

std::string EtcdStore::lock_key(const CredentialKey& key) const {
    return prefix_ + "locks/" + key.user + "/" + key.provider;
}

bool EtcdStore::holds(const CredentialKey& key) const {
    return held_.contains(lock_key(key));
}

// A lease renewed within the last half of its TTL is used as it is: a new
// lock starts with at least half of it, and the refresh renews it once a
// third of the TTL has passed since its last renewal (renew_in(), then every
// third: fleet_refresh.cpp). An older one is renewed first; one older than
// its TTL (this process was stopped or cut off, or refreshed nothing for
// that long) has surely ended and is replaced without asking.
Result<std::int64_t> EtcdStore::live_lease() {
    const auto began = Clock::now();
    const auto age = began - lease_renewed_;
    if (lease_id_ != 0 && age < lease_ / 2) return lease_id_;
    if (lease_id_ != 0 && age < lease_) {
        auto ttl = client_->lease_keepalive(lease_id_);
        if (!ttl) return ttl.error();
        if (*ttl > 0) {
            lease_renewed_ = began;
            return lease_id_;
        }
    }
    auto lease = client_->lease_grant(lease_.count());
    if (!lease) return lease.error();
    lease_id_ = *lease;
    lease_renewed_ = began;
    return lease_id_;
}

std::chrono::milliseconds EtcdStore::renew_in(const CredentialKey& key) const {
    using std::chrono::milliseconds;
    const auto third = std::chrono::duration_cast<milliseconds>(lease_) / 3;
    const auto it = held_.find(lock_key(key));
    if (it == held_.end() || it->second.lease != lease_id_) return third;
    const auto due = lease_renewed_ + third;
    return std::max(milliseconds(0), std::chrono::duration_cast<milliseconds>(due - Clock::now()));
}

Result<bool> EtcdStore::try_lock(const CredentialKey& key) {
    const std::string lk = lock_key(key);
    if (held_.contains(lk)) return true;
    auto lease = live_lease();
    if (!lease) return lease.error();
    auto txn = client_->put_if(lk, holder_name(), 0, *lease);
    if (!txn) {
        // Perhaps the lease is gone after all: the next lock asks for a new one.
        lease_id_ = 0;
        return txn.error();
    }
    if (!txn->succeeded) return false;
    held_[lk] = HeldLock{*lease, txn->revision};
    // The first read under the lock asks etcd (etcd_store.hpp).
    kept_.erase(etcd_key(key));
    return true;
}

void EtcdStore::took(const CredentialKey& key, HeldLock lock, std::int64_t mark_revision, const std::string& sealed) {
    held_[lock_key(key)] = lock;
    const std::string ek = etcd_key(key);
    seen_[ek] = mark_revision;
    pinned_[ek] = true;
    kept_[ek] = Kept{mark_revision, sealed, mark_revision};
    wrote_refresh(ek, mark_revision);
}

Result<std::optional<CredentialRecord>> EtcdStore::reread(const CredentialKey& key, const etcd::RangeAnswer& range) {
    const std::string ek = etcd_key(key);
    if (range.kvs.empty()) {
        seen_[ek] = 0;
        kept_[ek] = Kept{0, {}, range.revision};
        return std::optional<CredentialRecord>{};
    }
    const etcd::KeyValue& kv = range.kvs.front();
    seen_[ek] = kv.mod_revision;
    // A range inside a transaction may come without its own header: then
    // the copy is known current at its own revision only.
    kept_[ek] = Kept{kv.mod_revision, kv.value, std::max(range.revision, kv.mod_revision)};
    auto decoded = open_record(key, kv.value);
    if (!decoded) return decoded.error();
    return std::optional<CredentialRecord>{std::move(decoded->record)};
}

// The record's last read (kept_) gives both the revision to compare and the
// sealed refresh token to carry over: no read of etcd under the lock, when
// that read is the caller's record.
Result<MarkResult> EtcdStore::lock_and_mark(const CredentialKey& key, const CredentialRecord& record) {
    if (holds(key)) {
        return make_error(Errc::internal, "store: the refresh lock of " + resource(key) + " is already held here");
    }
    if (auto r = check_key(); !r) return r.error();
    const std::string ek = etcd_key(key);
    if (auto r = settle(ek); !r) return r.error();
    if (!kept_.contains(ek)) {
        if (auto r = get(key); !r) return r.error();
    }
    const Kept basis = kept_[ek];
    if (basis.mod_revision == 0) return make_error(Errc::not_found, "no credential for " + resource(key));
    auto decoded = open_record(key, basis.sealed);
    if (!decoded) return decoded.error();
    const CredentialRecord& last = decoded->record;
    // The last read may be another caller's, newer than the caller's record
    // (another host's commit), or another refresh's pending mark: never mark
    // over either. Say what is stored now, lock and record at one instant.
    const bool same = last.updated_at == record.updated_at && last.rotation == record.rotation &&
                      last.access_expires_at == record.access_expires_at && last.refreshed_at == record.refreshed_at;
    if (!same || last.state == CredentialState::refresh_pending) {
        auto view = look(key);
        if (!view) return view.error();
        return MarkResult{view->held ? MarkResult::Outcome::held : MarkResult::Outcome::changed,
                          std::move(view->record)};
    }
    for (int attempt = 0;; ++attempt) {
        auto sealed = seal_record(key, record, decoded->sealed_refresh_token);
        if (!sealed) return sealed.error();
        auto marked = mark(key, *sealed, basis);
        if (!marked) return marked.error();
        if (*marked) return std::move(**marked);
        if (attempt > 0) return key_moved_twice(key);  // else sealed again under the new key
    }
}

Error EtcdStore::key_moved_twice(const CredentialKey& key) {
    return make_error(Errc::provider_unavailable, "store: " + resource(key) +
                                                      " was not written: the current data key changed twice during "
                                                      "the write (key rotations); ask again");
}

Result<std::optional<MarkResult>> EtcdStore::mark(const CredentialKey& key, const std::string& sealed,
                                                  const Kept& basis) {
    using Outcome = MarkResult::Outcome;
    const std::int64_t expected = basis.mod_revision;
    auto lease = live_lease();
    if (!lease) return lease.error();
    const std::string lk = lock_key(key);
    const std::string ek = etcd_key(key);
    const std::string holder = holder_name();
    auto txn = client_->txn(lock_and_mark_request({lk, holder}, *lease, {ek, sealed}, expected, key_guard()));
    if (!txn) {
        // Perhaps the lease is gone after all: the next lock asks for a new
        // one, and lets this one end. Perhaps the mark lands later, or
        // landed: settled before anything else is done with this record.
        lease_id_ = 0;
        kept_.erase(ek);
        lost_[ek] = LostMark{key, basis, sealed};
        log::warning("store: " + resource(key) + ": the refresh lock and mark got no answer (" + txn.error().message +
                     "); it is settled once etcd answers");
        return txn.error();
    }
    if (txn->succeeded) {
        took(key, HeldLock{*lease, txn->revision}, txn->revision, sealed);
        return MarkResult{Outcome::marked, std::nullopt};
    }
    if (txn->ranges.size() != 3) {
        return make_error(Errc::internal, "etcd: malformed answer: the refresh lock's transaction read back " +
                                              std::to_string(txn->ranges.size()) + " ranges, not 3");
    }
    const auto& lock_now = txn->ranges[0].kvs;
    const auto& record_now = txn->ranges[1].kvs;
    if (!lock_now.empty() && !record_now.empty() && record_now.front().value == sealed) {
        // Our own transaction, applied by the cluster although the member we
        // first asked timed out (a fresh nonce makes every sealed value unique).
        took(key, HeldLock{*lease, lock_now.front().create_revision}, record_now.front().mod_revision, sealed);
        return MarkResult{Outcome::marked, std::nullopt};
    }
    const bool key_moved = key_guard_moved(*txn);
    const std::int64_t record_revision = record_now.empty() ? 0 : record_now.front().mod_revision;
    if (key_moved && lock_now.empty() && record_revision == expected) return std::optional<MarkResult>{};
    auto current = reread(key, txn->ranges[1]);
    if (!current) return current.error();
    return MarkResult{lock_now.empty() ? Outcome::changed : Outcome::held, std::move(*current)};
}

Result<void> EtcdStore::commit_and_unlock(const CredentialKey& key, const CredentialRecord& record,
                                          const SecretBytes* rotated) {
    const std::string lk = lock_key(key);
    const std::string ek = etcd_key(key);
    const auto lock = held_.find(lk);
    if (lock == held_.end() || !pinned_[ek]) {
        // Its lease was found ended while the provider answered (keep_alive).
        const std::int64_t expected = seen_[ek];
        auto now = client_->get(ek);
        return refused_commit(key, expected, now && *now ? (*now)->mod_revision : 0, true);
    }
    if (!kept_.contains(ek)) {
        if (auto r = get(key); !r) return r.error();
    }
    for (int attempt = 0;; ++attempt) {
        // Sealed under the key current now (again after a rotation moved it).
        std::string inner;
        if (rotated != nullptr) {
            auto fresh = seal_refresh_token(key, *rotated);
            if (!fresh) return fresh.error();
            inner = std::move(*fresh);
        } else {
            auto decoded = open_record(key, kept_[ek].sealed);
            if (!decoded) return decoded.error();
            inner = std::move(decoded->sealed_refresh_token);
        }
        auto sealed_record = seal_record(key, record, std::move(inner));
        if (!sealed_record) return sealed_record.error();
        const std::string& sealed = *sealed_record;
        const std::int64_t expected = seen_[ek];
        auto txn =
            client_->txn(commit_and_unlock_request({ek, sealed}, expected, lk, lock->second.mod_revision, key_guard()));
        if (!txn) {
            kept_.erase(ek);  // it may have landed: the next read asks etcd
            return txn.error();
        }
        const bool again = !txn->succeeded && !txn->ranges.empty() && !txn->ranges[0].kvs.empty() &&
                           txn->ranges[0].kvs.front().value == sealed;  // ours, applied despite a timeout
        if (!txn->succeeded && !again) {
            const auto revision_of = [&](std::size_t i, bool create) -> std::int64_t {
                if (txn->ranges.size() <= i || txn->ranges[i].kvs.empty()) return 0;
                const etcd::KeyValue& kv = txn->ranges[i].kvs.front();
                return create ? kv.create_revision : kv.mod_revision;
            };
            const bool lock_lost = revision_of(1, true) != lock->second.mod_revision;
            if (key_guard_moved(*txn) && !lock_lost && revision_of(0, false) == expected) {
                if (attempt == 0) continue;  // sealed again under the new key
                return key_moved_twice(key);
            }
            return refused_commit(key, expected, revision_of(0, false), lock_lost);
        }
        const std::int64_t revision = again ? txn->ranges[0].kvs.front().mod_revision : txn->revision;
        held_.erase(lock);
        pinned_.erase(ek);
        seen_[ek] = revision;
        kept_[ek] = Kept{revision, sealed, revision};
        wrote_refresh(ek, revision);
        return {};
    }
}

Error EtcdStore::refused_commit(const CredentialKey& key, std::int64_t expected, std::int64_t record_now,
                                bool lock_lost) {
    const std::string ek = etcd_key(key);
    if (lock_lost) held_.erase(lock_key(key));  // nothing of ours left to delete
    seen_.erase(ek);
    pinned_.erase(ek);
    kept_.erase(ek);
    std::string why;
    if (record_now != expected) {
        why = "it was changed by another credd since this one marked it (etcd revision " + std::to_string(record_now) +
              ", expected " + std::to_string(expected) + ")";
    }
    if (lock_lost) why += std::string(why.empty() ? "" : " and ") + "its refresh lock ended with its lease";
    return make_error(Errc::provider_unavailable,
                      "store: " + resource(key) + ": the refresh's commit was refused: " + why + "; ask again");
}

Result<bool> EtcdStore::keep_alive(const CredentialKey& key) {
    const auto it = held_.find(lock_key(key));
    if (it == held_.end()) return false;
    const auto began = Clock::now();
    const std::int64_t lease = it->second.lease;
    auto ttl = client_->lease_keepalive(lease);
    if (!ttl) return ttl.error();
    if (*ttl > 0) {
        if (lease == lease_id_) lease_renewed_ = began;
        return true;
    }
    // Every lock on that lease is gone with it.
    std::erase_if(held_, [&](const auto& h) { return h.second.lease == lease; });
    if (lease == lease_id_) lease_id_ = 0;
    return false;
}

void EtcdStore::unlock(const CredentialKey& key) {
    // The refresh this lock covered is over: reads may move the compared
    // revision again (etcd_store.hpp). A commit keeps its copy of the record
    // (commit_and_unlock() let the lock go); without one, the next read asks
    // etcd.
    const std::string ek = etcd_key(key);
    pinned_.erase(ek);
    const auto it = held_.find(lock_key(key));
    if (it == held_.end()) return;
    kept_.erase(ek);
    // Only the lock this process created: after its lease ended another
    // host's lock may stand at that key.
    auto removed = client_->erase_if(it->first, it->second.mod_revision);
    if (!removed) {
        // Left in place, it ends with its lease: new locks take another.
        log::warning("store: releasing the refresh lock of " + key.user + "/" + key.provider + ": " +
                     removed.error().message + "; it ends with its lease");
        if (it->second.lease == lease_id_) lease_id_ = 0;
    }
    held_.erase(it);
}

Result<LockView> EtcdStore::look(const CredentialKey& key) {
    if (auto r = check_key(); !r) return r.error();
    if (auto r = settle(etcd_key(key)); !r) return r.error();
    auto txn = client_->txn(look_request(lock_key(key), etcd_key(key)));
    if (!txn) return txn.error();
    if (txn->ranges.size() != 2) {
        return make_error(Errc::internal, "etcd: malformed answer: the look at a refresh lock read back " +
                                              std::to_string(txn->ranges.size()) + " ranges, not 2");
    }
    auto record = reread(key, txn->ranges[1]);
    if (!record) return record.error();
    return LockView{!txn->ranges[0].kvs.empty(), std::move(*record)};
}

Result<bool> EtcdStore::locked(const CredentialKey& key) {
    auto kv = client_->get(lock_key(key));
    if (!kv) return kv.error();
    return kv->has_value();
}

}  // namespace credctl::store
