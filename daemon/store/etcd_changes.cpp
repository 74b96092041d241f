// EtcdStore's change feed (etcd_store.hpp, change_feed.hpp): an etcd watch
// of every record, its keys turned into credentials for TokenService.
#include "common/log/log.hpp"
#include "daemon/store/etcd_store.hpp"

#include <algorithm>

namespace credctl::store {

std::optional<CredentialKey> EtcdStore::credential_of(std::string_view etcd_key) const {
    const std::string base = prefix_ + "credentials/";
    if (!etcd_key.starts_with(base)) return std::nullopt;
    const std::string_view rest = etcd_key.substr(base.size());
    const auto slash = rest.find('/');
    if (slash == std::string_view::npos) return std::nullopt;
    return CredentialKey{std::string(rest.substr(0, slash)), std::string(rest.substr(slash + 1))};
}

Result<void> EtcdStore::follow_changes(const etcd::ClientOptions& options) {
    const std::string meta = prefix_ + "meta/";
    auto changed = [this, meta](const std::string& etcd_key, std::int64_t mod_revision) {
        if (etcd_key.starts_with(meta)) return keys_.changed();  // a key rotation (etcd_keys.hpp)
        auto key = credential_of(etcd_key);
        if (!key) return;
        std::lock_guard lock(changes_mutex_);
        auto& last = last_change_[etcd_key];
        last = std::max(last, mod_revision);
        changes_.keys.push_back(std::move(*key));
        change_revisions_.emplace_back(etcd_key, mod_revision);
        changed_ = true;
        if (wake_) wake_();
    };
    auto resync = [this](std::int64_t revision) {
        keys_.changed();
        std::lock_guard lock(changes_mutex_);
        watched_from_ = revision;  // a copy older than this may have missed a change
        last_change_.clear();
        changes_.everything = true;
        changes_.keys.clear();
        change_revisions_.clear();
        own_writes_.clear();  // an echo still to come is reported: at worst, a cached token forgotten
        changed_ = true;
        if (wake_) wake_();
    };
    // One watch for the records and the data keys: the whole prefix (the
    // refresh locks' changes come too, and are ignored).
    auto watch = etcd::EtcdWatch::start(options, prefix_, std::move(changed), std::move(resync));
    if (!watch) return watch.error();
    watch_ = std::move(*watch);
    log::info("store: following changes below " + prefix_ + " through an etcd watch");
    return {};
}

std::optional<CredentialRecord> EtcdStore::watched_copy(const CredentialKey& key) {
    if (!watch_ || !watch_->following()) return std::nullopt;
    const std::string ek = etcd_key(key);
    const auto it = kept_.find(ek);
    if (it == kept_.end() || it->second.mod_revision == 0 || lost_.contains(ek)) return std::nullopt;
    const Kept& copy = it->second;
    // A later revision seen since (a re-seal by a key rotation): not current.
    if (const auto seen = seen_.find(ek); seen != seen_.end() && seen->second > copy.mod_revision) return std::nullopt;
    {
        std::lock_guard lock(changes_mutex_);
        if (copy.as_of < watched_from_) return std::nullopt;
        const auto last = last_change_.find(ek);
        if (last != last_change_.end() && last->second > copy.as_of) return std::nullopt;
    }
    auto decoded = open_record(key, copy.sealed);
    if (!decoded || decoded->record.state != CredentialState::valid) return std::nullopt;
    if (!pinned_[ek]) seen_[ek] = copy.mod_revision;
    return std::move(decoded->record);
}

void EtcdStore::wrote_refresh(const std::string& ek, std::int64_t revision) {
    std::lock_guard lock(changes_mutex_);
    auto& own = own_writes_[ek];
    own.insert(revision);
    if (own.size() > k_own_writes_kept) own.erase(own.begin());  // its echo was lost (a resync)
}

Changes EtcdStore::take() {
    if (!changed_.load()) return {};
    std::lock_guard lock(changes_mutex_);
    Changes out;
    out.everything = changes_.everything;
    for (std::size_t i = 0; i < changes_.keys.size(); ++i) {
        const auto& [ek, revision] = change_revisions_[i];
        if (auto own = own_writes_.find(ek); own != own_writes_.end() && own->second.erase(revision) != 0) {
            if (own->second.empty()) own_writes_.erase(own);
            continue;  // our own refresh's echo
        }
        out.keys.push_back(std::move(changes_.keys[i]));
    }
    changes_ = {};
    change_revisions_.clear();
    changed_ = false;
    return out;
}

// Called under the feed's lock, so clearing it waits for a call in progress.
void EtcdStore::wake_on_change(std::function<void()> wake) {
    std::lock_guard lock(changes_mutex_);
    wake_ = std::move(wake);
}

}  // namespace credctl::store
