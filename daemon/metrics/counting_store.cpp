#include "daemon/metrics/counting_store.hpp"

namespace credctl::metrics {

Result<void> CountingStore::put(const store::CredentialKey& key, const store::CredentialRecord& record,
                                const SecretBytes& refresh_token) {
    return counted(StoreOp::put, inner_.put(key, record, refresh_token));
}

Result<void> CountingStore::update(const store::CredentialKey& key, const store::CredentialRecord& record) {
    return counted(StoreOp::update, inner_.update(key, record));
}

Result<std::optional<store::CredentialRecord>> CountingStore::get(const store::CredentialKey& key) {
    return counted(StoreOp::get, inner_.get(key));
}

Result<SecretBytes> CountingStore::refresh_token(const store::CredentialKey& key) {
    return counted(StoreOp::refresh_token, inner_.refresh_token(key));
}

Result<std::vector<store::CredentialKey>> CountingStore::keys(const std::string& user) {
    return counted(StoreOp::keys, inner_.keys(user));
}

Result<bool> CountingStore::erase(const store::CredentialKey& key) {
    return counted(StoreOp::erase, inner_.erase(key));
}

Result<std::uint64_t> CountingStore::count() {
    return counted(StoreOp::count, inner_.count());
}

Result<std::optional<store::CredentialRecord>> CountingStore::get_to_refresh(const store::CredentialKey& key) {
    return counted(StoreOp::get, inner_.refresh_lock()->get_to_refresh(key));
}

Result<bool> CountingStore::settle() {
    return counted(StoreOp::settle, inner_.refresh_lock()->settle());
}

Result<store::MarkResult> CountingStore::lock_and_mark(const store::CredentialKey& key,
                                                       const store::CredentialRecord& record) {
    return counted(StoreOp::lock_and_mark, inner_.refresh_lock()->lock_and_mark(key, record));
}

Result<bool> CountingStore::keep_alive(const store::CredentialKey& key) {
    return counted(StoreOp::keep_alive, inner_.refresh_lock()->keep_alive(key));
}

Result<void> CountingStore::commit_and_unlock(const store::CredentialKey& key, const store::CredentialRecord& record,
                                              const SecretBytes* rotated) {
    return counted(StoreOp::commit_and_unlock, inner_.refresh_lock()->commit_and_unlock(key, record, rotated));
}

void CountingStore::unlock(const store::CredentialKey& key) {
    inner_.refresh_lock()->unlock(key);
    metrics_.store_operation(StoreOp::unlock, true);
}

Result<bool> CountingStore::locked(const store::CredentialKey& key) {
    return counted(StoreOp::locked, inner_.refresh_lock()->locked(key));
}

Result<store::LockView> CountingStore::look(const store::CredentialKey& key) {
    return counted(StoreOp::look, inner_.refresh_lock()->look(key));
}

}  // namespace credctl::metrics
