// EtcdStore's refresh lock (etcd_store.hpp, refresh_lock.hpp).
#include "common/log/log.hpp"
#include "daemon/store/etcd_store.hpp"

#include <unistd.h>

#include <climits>

namespace credctl::store {
namespace {

std::string holder_name() {
    char host[HOST_NAME_MAX + 1] = {};
    ::gethostname(host, sizeof host - 1);
    return std::string(host) + " pid " + std::to_string(::getpid());
}

}  // namespace

std::string EtcdStore::lock_key(const CredentialKey& key) const {
    return prefix_ + "locks/" + key.user + "/" + key.provider;
}

Result<bool> EtcdStore::try_lock(const CredentialKey& key) {
    const std::string lk = lock_key(key);
    if (held_.contains(lk)) return true;
    auto lease = client_->lease_grant(lease_.count());
    if (!lease) return lease.error();
    auto txn = client_->put_if(lk, holder_name(), 0, *lease);
    if (!txn || !txn->succeeded) {
        // Not ours: the lease would only expire unused.
        if (auto r = client_->lease_revoke(*lease); !r) log::debug("etcd: lease revoke: " + r.error().message);
        if (!txn) return txn.error();
        return false;
    }
    held_[lk] = *lease;
    return true;
}

Result<bool> EtcdStore::keep_alive(const CredentialKey& key) {
    const auto it = held_.find(lock_key(key));
    if (it == held_.end()) return false;
    auto ttl = client_->lease_keepalive(it->second);
    if (!ttl) return ttl.error();
    if (*ttl > 0) return true;
    held_.erase(it);
    return false;
}

void EtcdStore::unlock(const CredentialKey& key) {
    // The refresh this lock covered is over, committed or not: reads may
    // move the compared revision again (etcd_store.hpp).
    pinned_.erase(etcd_key(key));
    const auto it = held_.find(lock_key(key));
    if (it == held_.end()) return;
    // Revoking the lease deletes the lock key with it. If etcd cannot be
    // reached the lock ends with its lease all the same.
    if (auto r = client_->lease_revoke(it->second); !r) {
        log::warning("store: releasing the refresh lock of " + key.user + "/" + key.provider + ": " +
                     r.error().message + "; it ends with its lease");
    }
    held_.erase(it);
}

Result<bool> EtcdStore::locked(const CredentialKey& key) {
    auto kv = client_->get(lock_key(key));
    if (!kv) return kv.error();
    return kv->has_value();
}

}  // namespace credctl::store
