// CountingStore: a Store that passes every call to another and counts it,
// by operation, in credd's metrics (credd_store_operations_total and
// credd_store_failures_total, daemon_metrics.hpp). A lookup that finds
// nothing (get() of an absent key, erase() of one) is not a failure; an
// error result is. When the other store has a fleet-wide refresh lock, the
// calls of that lock are passed and counted the same way (lease() and
// renew_in() ask nothing of the store and are not counted).
//
// Used by the server, between the store it is given and TokenService.
// Thread-safety: that of the wrapped store; the counting is thread-safe.
#pragma once

#include "daemon/metrics/daemon_metrics.hpp"
#include "daemon/store/refresh_lock.hpp"
#include "daemon/store/store.hpp"

namespace credctl::metrics {

class CountingStore final : public store::Store, public store::RefreshLock {
public:
    // Both must outlive this.
    CountingStore(store::Store& inner, DaemonMetrics& metrics) : inner_(inner), metrics_(metrics) {}

    Result<void> put(const store::CredentialKey& key, const store::CredentialRecord& record,
                     const SecretBytes& refresh_token) override;
    Result<void> update(const store::CredentialKey& key, const store::CredentialRecord& record) override;
    Result<std::optional<store::CredentialRecord>> get(const store::CredentialKey& key) override;
    Result<SecretBytes> refresh_token(const store::CredentialKey& key) override;
    Result<std::vector<store::CredentialKey>> keys(const std::string& user) override;
    Result<bool> erase(const store::CredentialKey& key) override;
    Result<std::uint64_t> count() override;
    store::RefreshLock* refresh_lock() override { return inner_.refresh_lock() != nullptr ? this : nullptr; }
    store::ChangeFeed* change_feed() override { return inner_.change_feed(); }

    // Only while refresh_lock() is not nullptr.
    Result<store::MarkResult> lock_and_mark(const store::CredentialKey& key,
                                            const store::CredentialRecord& record) override;
    Result<std::optional<store::CredentialRecord>> get_to_refresh(const store::CredentialKey& key) override;
    Result<bool> settle() override;
    Result<bool> keep_alive(const store::CredentialKey& key) override;
    Result<void> commit_and_unlock(const store::CredentialKey& key, const store::CredentialRecord& record,
                                   const SecretBytes* rotated) override;
    void unlock(const store::CredentialKey& key) override;
    Result<bool> locked(const store::CredentialKey& key) override;
    Result<store::LockView> look(const store::CredentialKey& key) override;
    std::chrono::seconds lease() const override { return inner_.refresh_lock()->lease(); }
    std::chrono::milliseconds renew_in(const store::CredentialKey& key) const override {
        return inner_.refresh_lock()->renew_in(key);
    }

private:
    template <class R>
    R counted(StoreOp op, R result) {
        metrics_.store_operation(op, static_cast<bool>(result));
        return result;
    }
    store::Store& inner_;
    DaemonMetrics& metrics_;
};

}  // namespace credctl::metrics
