#include "daemon/store/etcd_store.hpp"

#include "common/log/log.hpp"
#include "daemon/store/etcd_txn.hpp"
#include "daemon/store/record_codec.hpp"
#include "daemon/store/record_key.hpp"

namespace credctl::store {
namespace {

std::string resource(const CredentialKey& k) {
    return k.user + "/" + k.provider;
}

Error unreadable(const CredentialKey& key, const Error& e) {
    return make_error(Errc::internal, "store: credential " + resource(key) + ": " + e.message);
}

}  // namespace

struct EtcdStore::Read {
    DecodedRecord decoded;
    std::int64_t mod_revision = 0;
};

EtcdStore::EtcdStore(std::unique_ptr<etcd::EtcdClient> client, std::string prefix, Sealer master,
                     std::chrono::seconds lease)
    : client_(std::move(client)),
      prefix_(std::move(prefix)),
      keys_(*client_, prefix_, std::move(master)),
      lease_(lease) {}

Result<std::unique_ptr<EtcdStore>> EtcdStore::open(std::unique_ptr<etcd::EtcdClient> client, std::string prefix,
                                                   Sealer master, std::chrono::seconds lease) {
    std::unique_ptr<EtcdStore> st(new EtcdStore(std::move(client), std::move(prefix), std::move(master), lease));
    if (auto r = st->check_key(); !r) {
        if (r.error().code != Errc::provider_unavailable) return r.error();
        log::warning("store: " + r.error().message + "; credd starts and checks the master key on first contact");
    }
    return st;
}

std::string EtcdStore::etcd_key(const CredentialKey& key) const {
    return prefix_ + "credentials/" + key.user + "/" + key.provider;
}

// The master key first, then the data keys it opens (etcd_keys.hpp).
Result<void> EtcdStore::check_key() {
    if (auto r = check_master(); !r) return r;
    return keys_.loaded() ? Result<void>{} : keys_.load();
}

Result<void> EtcdStore::check_master() {
    if (key_checked_) return {};
    const std::string key = prefix_ + "meta/key_check";
    auto kv = client_->get(key);
    if (!kv) return kv.error();
    if (!*kv) {
        const std::string sealed = keys_.master().seal(k_meta_db, k_key_check, SecretBytes::from(k_key_check_plain));
        auto created = client_->put_if(key, sealed, 0);
        if (!created) return created.error();
        if (!created->succeeded) return check_master();  // another host wrote it first: check theirs
        key_checked_ = true;
        return {};
    }
    auto opened = keys_.master().open(k_meta_db, k_key_check, (*kv)->value);
    if (!opened || opened->reveal() != k_key_check_plain) {
        return make_error(Errc::internal, "master key does not match the etcd store at prefix \"" + prefix_ + "\"");
    }
    key_checked_ = true;
    return {};
}

Result<std::optional<etcd::KeyValue>> EtcdStore::fetch(const CredentialKey& key, const std::string& ek) {
    const bool held = holds(key);
    if (const auto it = kept_.find(ek); held && it != kept_.end()) {
        if (it->second.mod_revision == 0) return std::optional<etcd::KeyValue>{};
        return std::optional<etcd::KeyValue>{etcd::KeyValue{ek, it->second.sealed, 0, it->second.mod_revision, 0}};
    }
    if (auto r = settle(ek); !r) return r.error();
    auto range = client_->range(ek);
    if (!range) return range.error();
    if (range->kvs.empty()) {
        kept_[ek] = Kept{0, {}, range->revision};
        return std::optional<etcd::KeyValue>{};
    }
    kept_[ek] = Kept{range->kvs.front().mod_revision, range->kvs.front().value, range->revision};
    return std::optional<etcd::KeyValue>{std::move(range->kvs.front())};
}

Result<std::string> EtcdStore::seal_refresh_token(const CredentialKey& key, const SecretBytes& refresh_token) {
    auto sealer = keys_.current();
    if (!sealer) return sealer.error();
    return (*sealer)->seal(k_refresh_token_seal, record_key(key), refresh_token);
}

Result<std::string> EtcdStore::seal_record(const CredentialKey& key, const CredentialRecord& record,
                                           std::string sealed_refresh_token) {
    auto sealer = keys_.current();
    if (!sealer) return sealer.error();
    const std::string rk = record_key(key);
    // No refresh token outlives the key that opens it: one under an older key
    // than the current is sealed again (docs/store-format.md "credentials").
    if (Sealer::key_id_of(sealed_refresh_token) != (*sealer)->key_id()) {
        auto token = keys_.open(k_refresh_token_seal, rk, sealed_refresh_token);
        if (!token) return unreadable(key, token.error());
        sealed_refresh_token = (*sealer)->seal(k_refresh_token_seal, rk, *token);
    }
    return (*sealer)->seal(k_credentials_db, rk, encode_record(record, sealed_refresh_token));
}

Result<DecodedRecord> EtcdStore::open_record(const CredentialKey& key, const std::string& sealed) {
    auto plain = keys_.open(k_credentials_db, record_key(key), sealed);
    if (!plain) return unreadable(key, plain.error());
    auto decoded = decode_record(*plain);
    if (!decoded) return unreadable(key, decoded.error());
    return std::move(*decoded);
}

Result<std::optional<EtcdStore::Read>> EtcdStore::read(const CredentialKey& key) {
    if (auto r = check_key(); !r) return r.error();
    const std::string ek = etcd_key(key);
    auto kv = fetch(key, ek);
    if (!kv) return kv.error();
    const bool pinned = pinned_[ek];
    if (!*kv) {
        if (!pinned) seen_[ek] = 0;
        return std::optional<Read>{};
    }
    auto decoded = open_record(key, (*kv)->value);
    if (!decoded) return decoded.error();
    if (!pinned) seen_[ek] = (*kv)->mod_revision;
    return std::optional<Read>{Read{std::move(*decoded), (*kv)->mod_revision}};
}

// A transaction that writes only over the revision this process last saw:
// another host's write in between is refused, never overwritten. Only under
// the data key that is current (etcd_txn.hpp KeyGuard): when a rotation on
// another host moved it since this process read the keys, the record is
// sealed again under the new one and written once more.
Result<void> EtcdStore::write(const CredentialKey& key, const std::function<Result<std::string>()>& seal,
                              bool pending) {
    const std::string ek = etcd_key(key);
    if (auto r = settle(ek); !r) return r.error();
    const auto seen = seen_.find(ek);
    std::int64_t expected = 0;
    if (seen != seen_.end()) {
        expected = seen->second;
    } else {
        auto kv = client_->get(ek);
        if (!kv) return kv.error();
        expected = *kv ? (*kv)->mod_revision : 0;
    }
    for (int attempt = 0;; ++attempt) {
        auto sealed = seal();
        if (!sealed) return sealed.error();
        auto txn = client_->txn(record_put_request({ek, *sealed}, expected, key_guard()));
        if (!txn) {
            kept_.erase(ek);  // it may have landed: the next read asks etcd
            return txn.error();
        }
        const etcd::KeyValue* now =
            txn->ranges.empty() || txn->ranges[0].kvs.empty() ? nullptr : &txn->ranges[0].kvs.front();
        // Refused with our own value: applied by the cluster although the
        // member we first asked timed out (a fresh nonce makes every sealed
        // value unique).
        if (txn->succeeded || (now != nullptr && now->value == *sealed)) {
            seen_[ek] = txn->succeeded ? txn->revision : now->mod_revision;  // for the next compare
            pinned_[ek] = pending;
            kept_[ek] = Kept{seen_[ek], *sealed, txn->revision};
            return {};
        }
        const bool key_moved = key_guard_moved(*txn);  // the next seal reads the keys again
        const std::int64_t record_now = now == nullptr ? 0 : now->mod_revision;
        if (record_now == expected && key_moved) {
            if (attempt == 0) continue;  // sealed again under the new key
            return key_moved_twice(key);
        }
        seen_.erase(ek);
        pinned_.erase(ek);
        kept_.erase(ek);
        return make_error(Errc::provider_unavailable, "store: " + resource(key) +
                                                          " was changed by another credd since this one read it "
                                                          "(etcd revision " +
                                                          std::to_string(record_now) + ", expected " +
                                                          std::to_string(expected) + "); ask again");
    }
}

KeyGuard EtcdStore::key_guard() const {
    return {keys_.current_key_path(), keys_.current_revision()};
}

bool EtcdStore::key_guard_moved(const etcd::TxnAnswer& refused) {
    if (refused.ranges.empty()) return false;
    const auto& guard = refused.ranges.back().kvs;
    const std::int64_t now = guard.empty() ? 0 : guard.front().mod_revision;
    if (now == keys_.current_revision()) return false;
    keys_.changed();  // the next seal reads the keys again
    return true;
}

Result<void> EtcdStore::put(const CredentialKey& key, const CredentialRecord& record,
                            const SecretBytes& refresh_token) {
    if (auto r = check_key(); !r) return r.error();
    // Both seals under the key current at each attempt (write()).
    const auto seal = [&]() -> Result<std::string> {
        auto inner = seal_refresh_token(key, refresh_token);
        if (!inner) return inner.error();
        return seal_record(key, record, std::move(*inner));
    };
    return write(key, seal, record.state == CredentialState::refresh_pending);
}

Result<void> EtcdStore::update(const CredentialKey& key, const CredentialRecord& record) {
    const std::string ek = etcd_key(key);
    if (auto r = settle(ek); !r) return r.error();  // before the revision to compare is taken
    const auto seen = seen_.find(ek);
    const std::optional<std::int64_t> expected =
        seen != seen_.end() ? std::optional<std::int64_t>(seen->second) : std::nullopt;
    auto stored = read(key);
    if (!stored) return stored.error();
    if (!*stored) return make_error(Errc::not_found, "no credential for " + resource(key));
    // Read again for the sealed refresh token; keep the older revision to
    // compare, so that a change since the caller's read is still refused.
    if (expected) seen_[ek] = *expected;
    const std::string& inner = (*stored)->decoded.sealed_refresh_token;
    return write(
        key, [&] { return seal_record(key, record, inner); }, record.state == CredentialState::refresh_pending);
}

Result<std::optional<CredentialRecord>> EtcdStore::get_to_refresh(const CredentialKey& key) {
    if (auto copy = watched_copy(key)) return copy;
    return get(key);
}

Result<std::optional<CredentialRecord>> EtcdStore::get(const CredentialKey& key) {
    auto stored = read(key);
    if (!stored) return stored.error();
    if (!*stored) return std::optional<CredentialRecord>{};
    return std::optional<CredentialRecord>{std::move((*stored)->decoded.record)};
}

Result<SecretBytes> EtcdStore::refresh_token(const CredentialKey& key) {
    auto stored = read(key);
    if (!stored) return stored.error();
    if (!*stored) return make_error(Errc::not_found, "no credential for " + resource(key));
    auto token = keys_.open(k_refresh_token_seal, record_key(key), (*stored)->decoded.sealed_refresh_token);
    if (!token) return unreadable(key, token.error());
    return std::move(*token);
}

Result<std::vector<CredentialKey>> EtcdStore::keys(const std::string& user) {
    const std::string base = prefix_ + "credentials/";
    auto range = client_->list(user.empty() ? base : base + user + "/", true);
    if (!range) return range.error();
    std::vector<CredentialKey> out;
    for (const auto& kv : range->kvs) {
        if (auto key = credential_of(kv.key)) out.push_back(std::move(*key));
    }
    return out;
}

Result<bool> EtcdStore::erase(const CredentialKey& key) {
    const std::string ek = etcd_key(key);
    if (auto r = settle(ek); !r) return r.error();
    auto removed = client_->erase(ek);
    if (!removed) return removed.error();
    seen_[ek] = 0;
    pinned_.erase(ek);
    kept_.erase(ek);
    return *removed;
}

// A status counts the credentials on every probe: etcd answers the number,
// not the keys, so the answer stays small however large the fleet.
Result<std::uint64_t> EtcdStore::count() {
    auto n = client_->count(records_prefix());
    if (!n) return n.error();
    return static_cast<std::uint64_t>(*n);
}

}  // namespace credctl::store
