// EtcdKeys: the data keys of the etcd store backend (docs/fleet.md "Key
// rotation on a fleet", docs/store-format.md "On etcd"), the two-level model
// of LMDB: records are sealed under a data key; each data key is sealed under
// the master key that every host of the fleet holds and stored at PREFIX
// "meta/keys/ID" (associated data: database "meta", record key "keys/ID", so
// a value moved under another id does not open); PREFIX "meta/current_key"
// names, in decimal, the key that new seals use. etcd never sees a data key
// in the clear, and every host can open every data key: no key list per host.
//
// A sealed value opens by the key id in its header: a data key held in
// memory; one read once from "meta/keys/ID" when this process does not hold
// it yet (another host rotated); or the master key itself (records written
// before data keys came to etcd still open). changed(), called by the store's
// watch of PREFIX "meta/", makes the next current() read the keys again, so
// a rotation on another host switches this one's seals.
//
// Used by EtcdStore (etcd_store.hpp) and EtcdMaintenance. Thread-safety: one
// thread at a time (the store's), except changed(), safe from any thread.
#pragma once

#include "daemon/etcd/etcd_client.hpp"
#include "daemon/store/sealer.hpp"

#include <atomic>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace credctl::store {

class EtcdKeys {
public:
    // `client` must outlive this. Contacts nobody.
    EtcdKeys(etcd::EtcdClient& client, std::string prefix, Sealer master);

    // Reads every data key and the current id (one range of PREFIX "meta/").
    // On a prefix that names no current key yet, creates data key 1 and names
    // it current in one transaction that holds only if "meta/current_key" is
    // still absent: credds starting at once agree on one key. Errors:
    // provider_unavailable when etcd does not answer; internal when the
    // current data key does not open with the master key.
    [[nodiscard]] Result<void> load();
    [[nodiscard]] bool loaded() const { return loaded_; }
    // Something below PREFIX "meta/" changed: the next current() reloads.
    void changed() { stale_ = true; }

    // The key new seals use (loading or reloading first when needed).
    [[nodiscard]] Result<const Sealer*> current();
    // Opens `sealed` with the key its header names. Errors: internal, as
    // Sealer::open(), or "record is sealed under unknown key id N".
    [[nodiscard]] Result<SecretBytes> open(std::string_view database, std::string_view record_key,
                                           std::string_view sealed);
    [[nodiscard]] const Sealer& master() const { return master_; }
    [[nodiscard]] std::uint32_t current_id() const { return current_; }
    // What every record write compares so that it lands only under the key
    // current() gave (etcd_txn.hpp KeyGuard): PREFIX "meta/current_key" and
    // its mod_revision as last read.
    [[nodiscard]] std::string current_key_path() const { return prefix_ + "meta/current_key"; }
    [[nodiscard]] std::int64_t current_revision() const { return current_revision_; }
    // Every data key id stored, as last read (more than one: rotating).
    [[nodiscard]] std::vector<std::uint32_t> ids() const;
    // Reads the current id and the data keys again (admin status), as load().
    [[nodiscard]] Result<void> refresh() { return loaded_ ? reload() : load(); }

    // A fresh data key stored and named current in one transaction that
    // compares "meta/current_key" with the value read just before; returns
    // its id. When more than one data key is stored (a rotation is not over)
    // or another host switched meanwhile, no key is added: returns the
    // current id, so that rotation is continued.
    [[nodiscard]] Result<std::uint32_t> rotate();
    // Deletes every data key but the current one, in one transaction that
    // holds only if the current key is unchanged and no key below
    // `records_prefix` was written after `revision` (the revision at which a
    // full pass found no record under an older key). false: something was
    // written meanwhile; pass again.
    [[nodiscard]] Result<bool> retire(const std::string& records_prefix, std::int64_t revision);
    // Seals the key check and every data key again under `next`, in one
    // transaction comparing each one's mod_revision, then uses `next`.
    // Records are untouched. Errors: bad_request when `next` is the master
    // key already; internal when a data key does not open, or when the keys
    // changed meanwhile (run it again).
    [[nodiscard]] Result<void> replace_master(Sealer next);

private:
    [[nodiscard]] Result<void> reload();
    [[nodiscard]] Result<bool> create_first();
    [[nodiscard]] std::uint32_t next_id() const;
    [[nodiscard]] std::string key_name(std::uint32_t id) const;  // "keys/ID": the associated data's record key

    etcd::EtcdClient& client_;
    std::string prefix_;
    Sealer master_;
    std::map<std::uint32_t, Sealer> keys_;          // data keys held, by id
    std::map<std::uint32_t, std::int64_t> stored_;  // id -> mod_revision of "meta/keys/ID", as last read
    std::uint32_t current_ = 0;                     // 0: none read yet
    std::int64_t current_revision_ = 0;             // mod_revision of "meta/current_key" (0: absent)
    bool loaded_ = false;
    std::atomic<bool> stale_{false};
};

}  // namespace credctl::store
