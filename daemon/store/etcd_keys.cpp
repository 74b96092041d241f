#include "daemon/store/etcd_keys.hpp"

#include "daemon/store/record_key.hpp"

#include <sodium.h>

#include <charconv>

namespace credctl::store {
namespace {

constexpr std::string_view k_keys_dir = "keys/";
constexpr std::string_view k_current_key = "current_key";

// A data key id as etcd holds it: decimal, 1 to 2^32-1.
std::optional<std::uint32_t> parse_id(std::string_view text) {
    std::uint32_t id = 0;
    const auto* end = text.data() + text.size();
    const auto [at, ec] = std::from_chars(text.data(), end, id);
    if (ec != std::errc() || at != end || id == 0 || text.front() == '0') return std::nullopt;
    return id;
}

SecretBytes random_key() {
    auto key = SecretBytes::zeroed(k_master_key_bytes);
    randombytes_buf(key.data(), key.size());
    return key;
}

}  // namespace

EtcdKeys::EtcdKeys(etcd::EtcdClient& client, std::string prefix, Sealer master)
    : client_(client), prefix_(std::move(prefix)), master_(std::move(master)) {}

std::string EtcdKeys::key_name(std::uint32_t id) const {
    return std::string(k_keys_dir) + std::to_string(id);
}

std::vector<std::uint32_t> EtcdKeys::ids() const {
    std::vector<std::uint32_t> out;
    for (const auto& [id, revision] : stored_) out.push_back(id);
    return out;
}

// Ids count up from the highest ever stored; the master key's own id (derived
// from it, docs/store-format.md "Keys") is skipped so that an id names one key.
std::uint32_t EtcdKeys::next_id() const {
    std::uint32_t id = current_;
    if (!stored_.empty()) id = std::max(id, stored_.rbegin()->first);
    ++id;
    if (id == master_.key_id()) ++id;
    return id;
}

// One range of PREFIX "meta/": the current id and every data key, a key
// already held kept as it is (after a master key replacement on another
// host this credd can no longer open them, and goes on with those it holds).
Result<void> EtcdKeys::reload() {
    const std::string meta = prefix_ + "meta/";
    auto range = client_.list(meta, false);
    if (!range) return range.error();
    std::map<std::uint32_t, std::int64_t> stored;
    std::uint32_t current = 0;
    std::int64_t current_revision = 0;
    for (const auto& kv : range->kvs) {
        const std::string_view name = std::string_view(kv.key).substr(meta.size());
        if (name == k_current_key) {
            const auto id = parse_id(kv.value);
            if (!id) return make_error(Errc::internal, meta + "current_key is not a key id: \"" + kv.value + "\"");
            current = *id;
            current_revision = kv.mod_revision;
            continue;
        }
        if (!name.starts_with(k_keys_dir)) continue;
        const auto id = parse_id(name.substr(k_keys_dir.size()));
        if (!id) continue;
        stored[*id] = kv.mod_revision;
        if (keys_.contains(*id)) continue;
        auto key = master_.open(k_meta_db, key_name(*id), kv.value);
        if (key && key->size() == k_master_key_bytes) keys_.emplace(*id, Sealer(std::move(*key), *id));
    }
    std::erase_if(keys_, [&stored](const auto& held) { return !stored.contains(held.first); });  // retired
    stored_ = std::move(stored);
    current_ = current;
    current_revision_ = current_revision;
    if (current_ != 0 && !keys_.contains(current_)) {
        return make_error(Errc::internal, "data key " + std::to_string(current_) + " (" + meta + key_name(current_) +
                                              ") does not open with this credd's master key; was the master key "
                                              "replaced on another host?");
    }
    return {};
}

Result<bool> EtcdKeys::create_first() {
    const std::uint32_t id = next_id();
    const std::string name = prefix_ + "meta/" + key_name(id);
    const std::string current = current_key_path();
    const std::string sealed = master_.seal(k_meta_db, key_name(id), random_key());
    auto txn =
        client_.txn({{current, 0, false, {}}, {name, 0, false, {}}}, {{name, sealed}, {current, std::to_string(id)}});
    if (!txn) return txn.error();
    return txn->succeeded;
}

Result<void> EtcdKeys::load() {
    if (auto r = reload(); !r) return r;
    if (current_ == 0) {
        auto created = create_first();  // lost to another credd: read theirs
        if (!created) return created.error();
        if (auto r = reload(); !r) return r;
        if (current_ == 0) {
            return make_error(Errc::internal, "the etcd store at prefix \"" + prefix_ + "\" names no data key");
        }
    }
    loaded_ = true;
    stale_ = false;
    return {};
}

Result<const Sealer*> EtcdKeys::current() {
    if (!loaded_) {
        if (auto r = load(); !r) return r.error();
    } else if (stale_.exchange(false)) {
        if (auto r = reload(); !r) {
            stale_ = true;
            return r.error();
        }
    }
    return &keys_.at(current_);  // reload() checked that it is held
}

Result<SecretBytes> EtcdKeys::open(std::string_view database, std::string_view record_key, std::string_view sealed) {
    const auto id = Sealer::key_id_of(sealed);
    if (!id || *id == master_.key_id()) return master_.open(database, record_key, sealed);
    auto it = keys_.find(*id);
    if (it == keys_.end()) {
        // Another host rotated, and this one has not heard of it yet.
        auto kv = client_.get(prefix_ + "meta/" + key_name(*id));
        if (!kv) return kv.error();
        if (!*kv) return make_error(Errc::internal, "record is sealed under unknown key id " + std::to_string(*id));
        auto key = master_.open(k_meta_db, key_name(*id), (*kv)->value);
        if (!key || key->size() != k_master_key_bytes) {
            return make_error(Errc::internal, "data key " + std::to_string(*id) + " does not open with the master key");
        }
        stored_[*id] = (*kv)->mod_revision;
        it = keys_.emplace(*id, Sealer(std::move(*key), *id)).first;
    }
    return it->second.open(database, record_key, sealed);
}

Result<std::uint32_t> EtcdKeys::rotate() {
    if (auto r = loaded_ ? reload() : load(); !r) return r.error();
    if (stored_.size() > 1) return current_;  // a rotation is not over: continue it
    const std::uint32_t id = next_id();
    const std::string name = prefix_ + "meta/" + key_name(id);
    const std::string current = current_key_path();
    const std::string sealed = master_.seal(k_meta_db, key_name(id), random_key());
    auto txn = client_.txn({{current, current_revision_, false, {}}, {name, 0, false, {}}},
                           {{name, sealed}, {current, std::to_string(id)}});
    if (!txn) return txn.error();
    if (auto r = reload(); !r) return r.error();  // ours, or the one another host switched to
    return current_;
}

Result<bool> EtcdKeys::retire(const std::string& records_prefix, std::int64_t revision) {
    std::vector<etcd::TxnWrite> writes;
    for (const auto& [id, mod_revision] : stored_) {
        if (id != current_) writes.push_back({prefix_ + "meta/" + key_name(id), std::nullopt});
    }
    if (writes.empty()) return true;
    const std::string current = current_key_path();
    auto txn = client_.txn({{current, current_revision_, false, {}},
                            {records_prefix, revision + 1, true, etcd::prefix_end(records_prefix)}},
                           writes);
    if (!txn) return txn.error();
    if (!txn->succeeded) {
        if (auto r = reload(); !r) return r.error();
        return false;
    }
    std::erase_if(keys_, [this](const auto& held) { return held.first != current_; });
    std::erase_if(stored_, [this](const auto& s) { return s.first != current_; });
    return true;
}

Result<void> EtcdKeys::replace_master(Sealer next) {
    if (next.key_id() == master_.key_id())
        return make_error(Errc::bad_request, "the new master key is the current one");
    const std::string meta = prefix_ + "meta/";
    auto range = client_.list(meta, false);
    if (!range) return range.error();
    std::vector<etcd::TxnCompare> compares;
    std::vector<etcd::TxnWrite> writes;
    std::int64_t check_revision = 0;
    for (const auto& kv : range->kvs) {
        const std::string_view name = std::string_view(kv.key).substr(meta.size());
        if (name == k_key_check) check_revision = kv.mod_revision;
        if (!name.starts_with(k_keys_dir)) continue;
        const auto id = parse_id(name.substr(k_keys_dir.size()));
        if (!id) continue;
        if (*id == next.key_id()) {
            return make_error(Errc::bad_request, "the new master key's id " + std::to_string(*id) +
                                                     " is the id of data key " + kv.key + "; make another key");
        }
        auto key = master_.open(k_meta_db, key_name(*id), kv.value);
        if (!key) return make_error(Errc::internal, "data key " + kv.key + " does not open with the master key");
        compares.push_back({kv.key, kv.mod_revision, false, {}});
        writes.push_back({kv.key, next.seal(k_meta_db, key_name(*id), *key)});
    }
    compares.push_back({meta + std::string(k_key_check), check_revision, false, {}});
    writes.push_back(
        {meta + std::string(k_key_check), next.seal(k_meta_db, k_key_check, SecretBytes::from(k_key_check_plain))});
    auto txn = client_.txn(compares, writes);
    if (!txn) return txn.error();
    if (!txn->succeeded) {
        return make_error(Errc::internal, "the keys below " + meta +
                                              " changed during the replacement (a rotation on another host?); "
                                              "nothing was replaced: run it again");
    }
    master_ = std::move(next);
    return {};
}

}  // namespace credctl::store
