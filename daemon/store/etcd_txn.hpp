// The two transactions of a refresh on etcd (docs/fleet.md "Calls of one
// refresh"), as request bodies for EtcdClient::txn(). Each is one Raft
// write: the lock and the record change together or not at all.
//
// lock_and_mark: compare the lock key absent AND the record at the
// mod_revision this credd read; success puts the lock key on the credd's
// lease and the record marked refresh_pending; failure reads back the lock
// key, then the record (TxnAnswer::ranges, in that order), so a refused
// attempt says at once whether another host holds the lock or the record
// moved.
//
// commit_and_unlock: compare the record at the mod_revision of the pending
// mark this credd wrote AND the lock key at the create_revision this credd
// created it with (its lease ended: the key is gone or another host's);
// success puts the record and deletes the lock key; failure reads back the
// record, then the lock key.
//
// look: no compare; reads the lock key, then the record, at one revision.
//
// record_put: compare the record at the mod_revision this credd read (0:
// absent); success puts it; failure reads back the record.
//
// Every transaction that writes a record also compares the KeyGuard: PREFIX
// "meta/current_key" at the mod_revision this credd last read it at, so a
// record is written only under the data key that is current (a credd that
// missed a key rotation, cut off or behind its watch, is refused instead of
// sealing under a key that the rotation may have retired meanwhile:
// docs/fleet.md "Key rotation on a fleet"). Its failure branch reads the
// guard's key back last.
//
// Used by EtcdStore (etcd_lock.cpp). Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace credctl::store {

struct EtcdPut {
    std::string_view key;
    std::string_view value;
};

struct KeyGuard {
    std::string key;  // PREFIX "meta/current_key"
    std::int64_t mod_revision = 0;
};

[[nodiscard]] std::string lock_and_mark_request(const EtcdPut& lock, std::int64_t lease, const EtcdPut& record,
                                                std::int64_t record_mod_revision, const KeyGuard& guard);
// A read-only transaction: the lock key, then the record, at one revision.
[[nodiscard]] std::string look_request(std::string_view lock_key, std::string_view record_key);
[[nodiscard]] std::string commit_and_unlock_request(const EtcdPut& record, std::int64_t pending_mod_revision,
                                                    std::string_view lock_key, std::int64_t lock_create_revision,
                                                    const KeyGuard& guard);
[[nodiscard]] std::string record_put_request(const EtcdPut& record, std::int64_t record_mod_revision,
                                             const KeyGuard& guard);

}  // namespace credctl::store
