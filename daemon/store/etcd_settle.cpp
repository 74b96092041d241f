// EtcdStore's lock-and-mark whose answer was lost (refresh_lock.hpp
// settle(), docs/fleet.md "A lock and mark whose answer was lost").
#include "common/log/log.hpp"
#include "daemon/store/etcd_store.hpp"
#include "daemon/store/record_key.hpp"

namespace credctl::store {
namespace {

// Attempts at undoing one mark: each is refused only when the lock, the
// record or the current data key moved between the look and the write.
constexpr int k_undo_attempts = 3;

}  // namespace

Result<std::string> EtcdStore::sealed_again(const CredentialKey& key, const std::string& sealed) {
    auto decoded = open_record(key, sealed);
    if (!decoded) return decoded.error();
    auto token = keys_.open(k_refresh_token_seal, record_key(key), decoded->sealed_refresh_token);
    if (!token) return token.error();
    auto inner = seal_refresh_token(key, *token);
    if (!inner) return inner.error();
    return seal_record(key, decoded->record, std::move(*inner));
}

// The fence: the record the mark compared on, put back (sealed again under
// the current data key, which a rotation may have moved since) only if the
// record is still at the revision the mark compared on. When it lands, the
// revision has moved, so the mark (still in flight in the cluster, or
// proposed to a member without quorum that commits it once quorum returns)
// is refused whenever it arrives: the two are ordered in the Raft log.
Result<bool> EtcdStore::fence(const std::string& ek, const LostMark& lost) {
    for (int attempt = 0;; ++attempt) {
        auto sealed = sealed_again(lost.key, lost.basis.sealed);
        if (!sealed) return sealed.error();
        auto txn = client_->txn(record_put_request({ek, *sealed}, lost.basis.mod_revision, key_guard()));
        if (!txn) return txn.error();
        const etcd::KeyValue* now =
            txn->ranges.empty() || txn->ranges[0].kvs.empty() ? nullptr : &txn->ranges[0].kvs.front();
        // Refused with our own value: applied although its first answer was lost.
        if (txn->succeeded || (now != nullptr && now->value == *sealed)) {
            const std::int64_t revision = txn->succeeded ? txn->revision : now->mod_revision;
            kept_[ek] = Kept{revision, *sealed, revision};
            seen_[ek] = revision;
            return true;
        }
        const bool key_moved = key_guard_moved(*txn);
        if (key_moved && now != nullptr && now->mod_revision == lost.basis.mod_revision && attempt == 0) continue;
        return false;
    }
}

// The undo, when the record holds the mark byte for byte (a fresh nonce
// makes every sealed value unique): the mark landed, and no refresh token
// was sent on it (its caller was answered with the error). In one
// transaction, compared on the record at the mark's revision, on the lock
// as it is (the mark created it at that same revision; gone if its lease
// ended) and on the current data key: the record put back as it was before
// the mark, sealed again under the current key, and the lock deleted. When
// the record holds anything else, another writer moved it, and the mark,
// which compares on an older revision, can never land. true when undone.
Result<bool> EtcdStore::undo(const std::string& ek, const LostMark& lost) {
    const std::string lk = lock_key(lost.key);
    for (int attempt = 0; attempt < k_undo_attempts; ++attempt) {
        auto view = client_->txn(look_request(lk, ek));
        if (!view) return view.error();
        if (view->ranges.size() != 2) {
            return make_error(Errc::internal, "etcd: malformed answer: the look at a refresh lock read back " +
                                                  std::to_string(view->ranges.size()) + " ranges, not 2");
        }
        const auto& record = view->ranges[1].kvs;
        if (record.empty() || record.front().value != lost.mark) return false;
        const std::int64_t marked_at = record.front().mod_revision;
        const auto& lock = view->ranges[0].kvs;
        const std::int64_t lock_at = lock.empty() ? 0 : lock.front().mod_revision;
        auto sealed = sealed_again(lost.key, lost.basis.sealed);
        if (!sealed) return sealed.error();
        const KeyGuard guard = key_guard();
        std::vector<etcd::TxnWrite> writes{{ek, *sealed}};
        if (lock_at == marked_at) writes.push_back({lk, std::nullopt});  // only the mark's own lock
        auto txn = client_->txn({{ek, marked_at}, {lk, lock_at}, {guard.key, guard.mod_revision}}, writes);
        if (!txn) return txn.error();
        if (txn->succeeded) {
            kept_[ek] = Kept{txn->revision, *sealed, txn->revision};
            seen_[ek] = txn->revision;
            return true;
        }
        keys_.changed();  // perhaps a rotation moved the key: read the keys again
    }
    return make_error(Errc::provider_unavailable, "store: " + lost.key.user + "/" + lost.key.provider +
                                                      ": a refresh lock and mark whose answer was lost could not "
                                                      "be undone (the record kept moving); ask again");
}

Result<void> EtcdStore::settle(const std::string& ek) {
    const auto it = lost_.find(ek);
    if (it == lost_.end()) return {};
    const LostMark lost = it->second;
    const std::string resource = lost.key.user + "/" + lost.key.provider;
    kept_.erase(ek);
    seen_.erase(ek);  // the next write reads the revision first, unless set below
    auto fenced = fence(ek, lost);
    if (!fenced) return fenced.error();
    if (*fenced) {
        log::info("store: " + resource + ": a refresh lock and mark whose answer was lost can no longer land");
    } else {
        auto undone = undo(ek, lost);
        if (!undone) return undone.error();
        if (*undone) {
            log::info("store: " + resource +
                      ": a refresh lock and mark whose answer was lost had landed; the record is as before it");
        }
    }
    lost_.erase(ek);
    return {};
}

Result<bool> EtcdStore::settle() {
    while (!lost_.empty()) {
        if (auto r = settle(lost_.begin()->first); !r) return r.error();
    }
    return true;
}

}  // namespace credctl::store
