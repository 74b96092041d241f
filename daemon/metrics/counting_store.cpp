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

}  // namespace credctl::metrics
