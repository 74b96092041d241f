#include "daemon/store/etcd_maintenance.hpp"

#include "daemon/store/etcd_txn.hpp"
#include "daemon/store/record_codec.hpp"
#include "daemon/store/record_key.hpp"
#include "daemon/store/transfer.hpp"

#include <algorithm>

namespace credctl::store {
namespace {

// Credentials per transaction of the backup being built: bounds the secrets
// held at once (each in guarded memory of its own).
constexpr std::size_t k_backup_batch = 200;

// Passes of one rotation run (one `credctl admin rotate-key`): a run that
// keeps finding records written under an older key (a host still running a
// credd from before data keys) ends, and says how many are left.
constexpr int k_max_passes = 10;

}  // namespace

Result<std::int64_t> EtcdStore::scan(const std::function<Result<void>(ScannedRecord&&)>& visit) {
    if (auto r = check_key(); !r) return r.error();
    auto range = client_->list(prefix_ + "credentials/", false);
    if (!range) return range.error();
    for (const auto& kv : range->kvs) {
        ScannedRecord entry;
        if (auto key = credential_of(kv.key)) {
            entry.key = std::move(*key);
            const std::string rk = record_key(entry.key);
            auto plain = keys_.open(k_credentials_db, rk, kv.value);
            auto decoded = plain ? decode_record(*plain) : Result<DecodedRecord>(plain.error());
            auto token = decoded ? keys_.open(k_refresh_token_seal, rk, decoded->sealed_refresh_token)
                                 : Result<SecretBytes>(decoded.error());
            if (token) {
                entry.record = std::move(decoded->record);
                entry.refresh_token = std::move(*token);
            } else {
                entry.failure = token.error().message;
            }
        } else {
            entry.key = {"?", kv.key.substr(prefix_.size())};
            entry.failure = "etcd key is not credentials/USER/PROVIDER";
        }
        if (auto r = visit(std::move(entry)); !r) return r.error();
    }
    return range->revision;
}

// A record is wholly under `current` when the record and the refresh token
// inside it are; one that does not open is not (its re-seal names it).
bool EtcdStore::under_current(const etcd::KeyValue& kv, std::uint32_t current) {
    const auto key = credential_of(kv.key);
    if (!key) return true;  // not a record: nothing to re-seal
    if (Sealer::key_id_of(kv.value) != current) return false;
    auto plain = keys_.open(k_credentials_db, record_key(*key), kv.value);
    auto decoded = plain ? decode_record(*plain) : Result<DecodedRecord>(plain.error());
    return decoded && Sealer::key_id_of(decoded->sealed_refresh_token) == current;
}

Result<EtcdStore::RotationPass> EtcdStore::rotation_pass() {
    if (auto r = check_key(); !r) return r.error();
    auto sealer = keys_.current();
    if (!sealer) return sealer.error();
    const std::string locks_prefix = prefix_ + "locks/";
    auto locks = client_->list(locks_prefix, true);
    if (!locks) return locks.error();
    auto range = client_->list(records_prefix(), false);
    if (!range) return range.error();
    RotationPass pass;
    pass.revision = range->revision;
    for (auto& kv : range->kvs) {
        if (!under_current(kv, (*sealer)->key_id())) pass.stale.push_back(std::move(kv));
    }
    for (const auto& kv : locks->kvs) pass.locked.push_back(records_prefix() + kv.key.substr(locks_prefix.size()));
    std::sort(pass.locked.begin(), pass.locked.end());
    return pass;
}

Result<EtcdStore::ResealOutcome> EtcdStore::reseal(const etcd::KeyValue& stored) {
    const auto key = credential_of(stored.key);
    if (!key) return ResealOutcome{Resealed::current, {}};
    auto sealer = keys_.current();
    if (!sealer) return sealer.error();
    const auto stopped = [&key](const Error& e) {
        return make_error(Errc::internal,
                          "rotation stopped: credential " + key->user + "/" + key->provider + ": " + e.message);
    };
    const std::string rk = record_key(*key);
    auto plain = keys_.open(k_credentials_db, rk, stored.value);
    if (!plain) return stopped(plain.error());
    auto decoded = decode_record(*plain);
    if (!decoded) return stopped(decoded.error());
    // Its holder's commit compares on this very revision: never move it.
    if (decoded->record.state == CredentialState::refresh_pending) return ResealOutcome{Resealed::pending, {}};
    const std::uint32_t id = (*sealer)->key_id();
    if (Sealer::key_id_of(stored.value) == id && Sealer::key_id_of(decoded->sealed_refresh_token) == id) {
        return ResealOutcome{Resealed::current, {}};
    }
    auto token = keys_.open(k_refresh_token_seal, rk, decoded->sealed_refresh_token);
    if (!token) return stopped(token.error());
    const std::string inner = (*sealer)->seal(k_refresh_token_seal, rk, *token);
    const std::string sealed = (*sealer)->seal(k_credentials_db, rk, encode_record(decoded->record, inner));
    auto txn = client_->txn(record_put_request({stored.key, sealed}, stored.mod_revision, key_guard()));
    if (!txn) return txn.error();
    if (!txn->succeeded) {
        // Another write since the pass read it, or the current key moved
        // (the record comes back as it was: sealed again once the keys are
        // read again).
        (void)key_guard_moved(*txn);
        if (txn->ranges.empty() || txn->ranges[0].kvs.empty()) return ResealOutcome{Resealed::gone, {}};
        return ResealOutcome{Resealed::changed, std::move(txn->ranges[0].kvs.front())};
    }
    // This process's next write of it compares on the re-sealed revision.
    const auto seen = seen_.find(stored.key);
    const auto pinned = pinned_.find(stored.key);
    if (seen != seen_.end() && seen->second == stored.mod_revision && (pinned == pinned_.end() || !pinned->second)) {
        seen->second = txn->revision;
    }
    return ResealOutcome{Resealed::resealed, {}};
}

EtcdMaintenance::EtcdMaintenance(EtcdStore& store, Sealer master, std::string work_dir)
    : store_(store), master_(std::move(master)), work_dir_(std::move(work_dir)) {}

Result<CheckReport> EtcdMaintenance::check_batch(const std::string&, std::size_t) {
    CheckReport report;
    auto scanned = store_.scan([&report](EtcdStore::ScannedRecord&& e) -> Result<void> {
        ++report.records;
        if (e.failure.empty()) {
            ++report.opened;
        } else {
            report.failures.push_back({std::move(e.key), std::move(e.failure)});
        }
        return {};
    });
    if (!scanned) return scanned.error();
    return report;
}

// Written in batches: never every refresh token of the fleet in memory at once.
Result<std::uint64_t> EtcdMaintenance::backup(const std::string& path) {
    return write_lmdb_backup(path, master_, work_dir_, [this](LmdbStore& out) -> Result<void> {
        std::vector<LmdbStore::NewCredential> batch;
        auto scanned = store_.scan([&](EtcdStore::ScannedRecord&& e) -> Result<void> {
            if (!e.failure.empty()) {
                return make_error(Errc::internal, "no backup written: credential " + e.key.user + "/" + e.key.provider +
                                                      " does not open (" + e.failure + "); see credctl admin check");
            }
            batch.push_back({std::move(e.key), std::move(e.record), std::move(e.refresh_token)});
            if (batch.size() < k_backup_batch) return {};
            auto written = out.put_batch(batch);
            batch.clear();
            return written;
        });
        if (!scanned) return scanned.error();
        return batch.empty() ? Result<void>{} : out.put_batch(batch);
    });
}

Result<TransferReport> EtcdMaintenance::restore(const std::string& path) {
    return restore_backup(path, master_, work_dir_, store_);
}

Result<StoreInfo> EtcdMaintenance::info() {
    if (auto r = store_.ready(); !r) return r.error();
    if (auto r = store_.data_keys().refresh(); !r) return r.error();
    auto n = store_.count();
    if (!n) return n.error();
    StoreInfo out;
    out.records = *n;
    out.current_key = store_.data_keys().current_id();
    out.keys = store_.data_keys().ids();
    out.sync_commits = true;  // etcd acknowledges a write once a quorum has it on disk
    return out;
}

Result<std::uint32_t> EtcdMaintenance::begin_rotation() {
    if (auto r = store_.ready(); !r) return r.error();
    auto id = store_.data_keys().rotate();
    if (!id) return id.error();
    pass_.reset();
    passes_ = 0;
    running_ = true;
    return *id;
}

Error EtcdMaintenance::stop(Error e) {
    running_ = false;
    pass_.reset();
    return e;
}

RotationStep EtcdMaintenance::end_run(std::uint64_t resealed, std::uint64_t left) {
    running_ = false;
    pass_.reset();
    return RotationStep{resealed, true, left};
}

// A pass is read in one range; its records are re-sealed `max_records` at a
// time. A pass that finds nothing to re-seal retires the older data keys.
Result<RotationStep> EtcdMaintenance::rotate_batch(std::size_t max_records) {
    if (!pass_) {
        auto pass = store_.rotation_pass();
        if (!pass) return stop(pass.error());
        if (++passes_ > k_max_passes) return end_run(0, pass->stale.size());
        if (pass->stale.empty()) {
            auto retired = store_.data_keys().retire(store_.records_prefix(), pass->revision);
            if (!retired) return stop(retired.error());
            return *retired ? end_run(0, 0) : RotationStep{};  // written meanwhile: pass again
        }
        pass_ = std::move(*pass);
        at_ = 0;
        pass_resealed_ = 0;
        pass_left_ = 0;
    }
    RotationStep step;
    for (std::size_t n = 0; n < max_records && at_ < pass_->stale.size(); ++n, ++at_) {
        auto done = reseal_one(pass_->stale[at_]);
        if (!done) return stop(done.error());
        step.resealed += *done ? 1 : 0;
    }
    pass_resealed_ += step.resealed;
    if (at_ < pass_->stale.size()) return step;
    const std::uint64_t left = pass_left_;
    const bool progress = pass_resealed_ > 0;
    pass_.reset();
    // Nothing left: the next pass confirms it and retires. Only records in a
    // refresh left, and none re-sealed: they are for the next run.
    if (left > 0 && !progress) return end_run(step.resealed, left);
    return step;
}

// true: re-sealed; false: nothing to do, or left for a later pass (counted).
Result<bool> EtcdMaintenance::reseal_one(const etcd::KeyValue& stored) {
    if (std::binary_search(pass_->locked.begin(), pass_->locked.end(), stored.key)) {
        ++pass_left_;  // a refresh holds it
        return false;
    }
    auto r = store_.reseal(stored);
    // A write committed since the pass read it wins; read again once.
    if (r && r->outcome == EtcdStore::Resealed::changed) r = store_.reseal(*r->now);
    if (!r) return r.error();
    switch (r->outcome) {
        case EtcdStore::Resealed::resealed:
            return true;
        case EtcdStore::Resealed::current:
        case EtcdStore::Resealed::gone:
            return false;
        case EtcdStore::Resealed::pending:
        case EtcdStore::Resealed::changed:
            ++pass_left_;
            return false;
    }
    return false;
}

// Records sealed under the master key itself (from before data keys) would
// not open under the new one: they are re-sealed under a data key first.
Result<void> EtcdMaintenance::replace_master_key(SecretBytes new_master) {
    if (running_) return make_error(Errc::bad_request, "a key rotation is running; replace the master key after it");
    auto pass = store_.rotation_pass();
    if (!pass) return pass.error();
    const std::uint32_t master_id = store_.master_key_id();
    const auto under_master = std::count_if(pass->stale.begin(), pass->stale.end(), [&](const etcd::KeyValue& kv) {
        return Sealer::key_id_of(kv.value) == master_id;
    });
    if (under_master > 0) {
        return make_error(Errc::bad_request, std::to_string(under_master) +
                                                 " records are still sealed under the master key itself (written "
                                                 "before data keys); run credctl admin rotate-key first");
    }
    Sealer next(std::move(new_master));
    Sealer copy = next.clone();
    if (auto r = store_.data_keys().replace_master(std::move(next)); !r) return r;
    master_ = std::move(copy);
    return {};
}

}  // namespace credctl::store
