// EtcdStore's refresh lock (etcd_store.hpp, refresh_lock.hpp).
#include "common/log/log.hpp"
#include "daemon/store/etcd_store.hpp"

#include <unistd.h>

#include <climits>

namespace credctl::store {
namespace {

using Clock = std::chrono::steady_clock;

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

// A lease renewed within the last quarter of its TTL is used as it is: a new
// lock starts with at least three quarters of it, and the refresh renews it
// every third (fleet_refresh.cpp). An older one is renewed first; an expired
// one (this process was stopped or cut off) is replaced.
Result<std::int64_t> EtcdStore::live_lease() {
    const auto began = Clock::now();
    if (lease_id_ != 0 && began - lease_renewed_ < lease_ / 4) return lease_id_;
    if (lease_id_ != 0) {
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
    // The refresh this lock covered is over, committed or not: reads may
    // move the compared revision again and ask etcd (etcd_store.hpp).
    const std::string ek = etcd_key(key);
    pinned_.erase(ek);
    kept_.erase(ek);
    const auto it = held_.find(lock_key(key));
    if (it == held_.end()) return;
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

Result<bool> EtcdStore::locked(const CredentialKey& key) {
    auto kv = client_->get(lock_key(key));
    if (!kv) return kv.error();
    return kv->has_value();
}

}  // namespace credctl::store
