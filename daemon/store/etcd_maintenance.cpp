#include "daemon/store/etcd_maintenance.hpp"

#include "daemon/store/record_codec.hpp"
#include "daemon/store/record_key.hpp"
#include "daemon/store/transfer.hpp"

namespace credctl::store {
namespace {

// The associated-data names of docs/store-format.md, as in etcd_store.cpp.
constexpr std::string_view k_credentials_db = "credentials";
constexpr std::string_view k_refresh_token_seal = "refresh_token";
// Credentials per transaction of the backup being built: bounds the secrets
// held at once (each in guarded memory of its own).
constexpr std::size_t k_backup_batch = 200;

Error not_on_etcd(std::string_view what) {
    return make_error(Errc::bad_request, std::string(what) +
                                             " is not available on the etcd store backend "
                                             "(docs/fleet.md \"Admin on etcd\")");
}

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
            auto plain = master_.open(k_credentials_db, rk, kv.value);
            auto decoded = plain ? decode_record(*plain) : Result<DecodedRecord>(plain.error());
            auto token = decoded ? master_.open(k_refresh_token_seal, rk, decoded->sealed_refresh_token)
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
    auto n = store_.count();
    if (!n) return n.error();
    StoreInfo out;
    out.records = *n;
    out.current_key = store_.master_key_id();
    out.keys = {out.current_key};
    out.sync_commits = true;  // etcd acknowledges a write once a quorum has it on disk
    return out;
}

Result<std::uint32_t> EtcdMaintenance::begin_rotation() {
    return not_on_etcd("key rotation");
}

Result<RotationStep> EtcdMaintenance::rotate_batch(std::size_t) {
    return not_on_etcd("key rotation");
}

Result<void> EtcdMaintenance::replace_master_key(SecretBytes) {
    return not_on_etcd("master key replacement");
}

}  // namespace credctl::store
