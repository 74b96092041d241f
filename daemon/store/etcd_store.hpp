// EtcdStore: the Store backend for a fleet (docs/fleet.md), over an etcd
// cluster that every credd of the fleet shares.
//
// Keys, below the configured prefix: "credentials/USER/PROVIDER" holds a
// record in the same sealed format as LMDB's (docs/store-format.md), sealed
// under the current data key (etcd_keys.hpp: data keys in "meta/keys/ID",
// each sealed under the master key that every host of the fleet holds), with
// the same associated data (database "credentials", record key "USER NUL
// PROVIDER"), so a value moved to another key does not open; a record sealed
// under the master key itself (written before data keys) still opens;
// "meta/key_check" makes a wrong master key a clear error. etcd never sees a
// token or a data key in the clear.
//
// No fork under rotation: the store remembers, per credential, the etcd
// mod_revision it last read or wrote, and update() and put() are
// transactions that write only if the record is still at that revision.
// After this process wrote a refresh_pending mark, reads do not move that
// revision until its next write or unlock(): the refresh's commit lands only
// on its own mark, so a holder cut off past its lock's lease cannot
// overwrite what another host decided meanwhile (docs/fleet.md "Failures"). Of
// two hosts that both store a rotated refresh token read from the same
// record, exactly one wins; the other gets provider_unavailable ("changed by
// another credd ... ask again") and re-reads on the next call. Every
// record write also compares "meta/current_key" (etcd_txn.hpp KeyGuard): a
// process that missed a key rotation seals again under the current key and
// writes once more, so no record lands under a key a rotation retired.
//
// Fewer round trips per refresh (docs/fleet.md "Calls of one refresh"): the
// record as this process last read or wrote it (its mod_revision and sealed
// value) is kept. While this process holds a credential's refresh lock, reads
// of that credential are answered from it without asking etcd. Without the
// lock, get_to_refresh() (the read that starts a refresh) answers from it
// too when the watch (follow_changes()) vouches for it: a watch is set up
// now, it reports every change after the revision the copy was current at,
// none of them is to this record, and the record is valid (not pending, not
// login_required). Such a copy is as current as the credentials TokenService
// caches from the same watch (docs/fleet.md "Cache coherence"), and a
// refresh decided on it is safe: every write still compares on the kept
// revision, so a change made meanwhile by another host (a login, a logout,
// a refresh) is refused at the next write, never overwritten, and a refresh
// token is never sent on a pending mark that did not land. That read proves
// no quorum, so a lock and mark proposed after it may time out and land
// later: settle() fences or undoes it. get() always asks etcd (a linearizable
// read), so a logout or a login never proposes a write to a cluster that
// cannot commit it.
//
// Cache coherence: follow_changes() starts an etcd watch of the prefix
// (etcd_watch.hpp): the records' changes are offered as this store's
// ChangeFeed, changes below "meta/" (a key rotation) reach the data keys.
// The echo of this process's own refresh writes (the pending mark and the
// commit of its lock) is left out: the refreshing TokenService caches what
// it stored itself, and forgetting it would make every down-scoped request
// on a fleet a refresh. Left out when take() runs, not when the watch
// reports it: by then the write's revision is known (the store thread
// notes it before its caller resumes), whichever came first.
//
// Blocking: each call is a blocking exchange bounded by [store.etcd]
// request_timeout_seconds for all endpoints together (EtcdClient). credd
// makes them on its store thread (store_runner.hpp), never on the I/O
// thread, so a slow cluster holds only the callers that need the store.
//
// Thread-safety: one thread at a time (credd's store thread); the watch
// fills the change feed from its own thread, under the feed's lock.
#pragma once

#include "daemon/etcd/etcd_client.hpp"
#include "daemon/etcd/etcd_watch.hpp"
#include "daemon/store/change_feed.hpp"
#include "daemon/store/etcd_keys.hpp"
#include "daemon/store/etcd_txn.hpp"
#include "daemon/store/record_codec.hpp"
#include "daemon/store/refresh_lock.hpp"
#include "daemon/store/sealer.hpp"
#include "daemon/store/store.hpp"

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

namespace credctl::store {

class EtcdStore final : public Store, public RefreshLock, public ChangeFeed {
public:
    // Checks the master key against "meta/key_check" (writing it on a new
    // prefix). etcd not answering is not an error here: credd starts and
    // the check is made on the first call that reaches the cluster. Errors:
    // "master key does not match ..." for a wrong key.
    // `lease` is the refresh lock's ([store.etcd] lease_seconds).
    [[nodiscard]] static Result<std::unique_ptr<EtcdStore>> open(std::unique_ptr<etcd::EtcdClient> client,
                                                                 std::string prefix, Sealer master,
                                                                 std::chrono::seconds lease = std::chrono::seconds(10));

    // The Store calls, by what they ask etcd. get, refresh_token, put,
    // update and erase first settle a lock and mark of that credential whose
    // answer was lost (settle()), and fail while they cannot.
    //
    // Reads: linearizable ranges. get() is answered from the kept copy only
    // while this process holds the credential's refresh lock; the read that
    // starts a refresh is get_to_refresh(). keys() is keys-only, below
    // "credentials/USER/" (every user's when `user` is empty), and opens no
    // value; count() asks etcd for the number of keys below "credentials/"
    // (count only), so no key comes back.
    Result<std::optional<CredentialRecord>> get(const CredentialKey& key) override;
    Result<SecretBytes> refresh_token(const CredentialKey& key) override;
    Result<std::vector<CredentialKey>> keys(const std::string& user) override;
    Result<std::uint64_t> count() override;

    // Writes. put() is one transaction: written only over the revision this
    // process last saw (for a record it never read, the revision one more
    // read finds) and under the current data key; refused, it is
    // provider_unavailable ("changed by another credd ... ask again").
    // update() reads the record again for its sealed refresh token, then
    // writes as put() does, compared on the revision the caller's own read
    // saw. erase() deletes without a compare: a logout wins over a write in
    // flight, whose own compare then refuses it.
    Result<void> put(const CredentialKey& key, const CredentialRecord& record,
                     const SecretBytes& refresh_token) override;
    Result<void> update(const CredentialKey& key, const CredentialRecord& record) override;
    Result<bool> erase(const CredentialKey& key) override;
    RefreshLock* refresh_lock() override { return this; }
    ChangeFeed* change_feed() override { return watch_ ? this : nullptr; }

    // Starts following every record's changes through an etcd watch with
    // these client options (the endpoints and TLS files of the store's
    // client). Errors: as EtcdWatch::start().
    [[nodiscard]] Result<void> follow_changes(const etcd::ClientOptions& options);
    Changes take() override;
    void wake_on_change(std::function<void()> wake) override;

    // The refresh lock: PREFIX "locks/" USER "/" PROVIDER, created in a
    // transaction only if absent, attached to this process's lease; its
    // value names the holder (host name and pid) for an operator's eyes.
    // One lease serves every lock of the process: granted on the first lock,
    // renewed by keep_alive() and before a lock is taken on a lease renewed
    // more than a quarter of `lease` ago, granted again once it has expired.
    // lock_and_mark() and commit_and_unlock() are one transaction each
    // (etcd_txn.hpp): the first compares the record with the revision this
    // process last read (the sealed value of that read is kept, so the
    // refresh token is carried over without asking etcd again); the second
    // compares the record with the pending mark and the lock key with the
    // revision this process created it at, so a late commit after the lease
    // ended is refused even when nobody else wrote the record.
    // try_lock() takes the lock alone (no record written); unlock() deletes
    // the lock key (only at the revision this process created it with); a
    // lock whose delete fails stops having its lease renewed by new locks, so
    // it ends with that lease.
    // get_to_refresh() answers from the kept record while the watch vouches
    // for it (above); settle() (etcd_settle.cpp) fences each lost mark with
    // a put of the record's own value at the revision the mark compared on,
    // and undoes the mark if it landed.
    Result<std::optional<CredentialRecord>> get_to_refresh(const CredentialKey& key) override;
    Result<bool> settle() override;
    Result<MarkResult> lock_and_mark(const CredentialKey& key, const CredentialRecord& record) override;
    Result<void> commit_and_unlock(const CredentialKey& key, const CredentialRecord& record,
                                   const SecretBytes* rotated) override;
    [[nodiscard]] Result<bool> try_lock(const CredentialKey& key);
    Result<bool> keep_alive(const CredentialKey& key) override;
    void unlock(const CredentialKey& key) override;
    Result<bool> locked(const CredentialKey& key) override;
    Result<LockView> look(const CredentialKey& key) override;
    std::chrono::seconds lease() const override { return lease_; }
    std::chrono::milliseconds renew_in(const CredentialKey& key) const override;

    // Every record below PREFIX "credentials/", read in one range and so at
    // one etcd revision (a consistent backup, admin check), handed to
    // `visit` one at a time, opened with its refresh token or with the
    // reason it does not open; the secrets are wiped when `visit` has not
    // kept them. Stops at the first error of `visit` and returns it; returns
    // the revision otherwise. Defined in etcd_maintenance.cpp (docs/fleet.md
    // "Admin on etcd").
    struct ScannedRecord {
        CredentialKey key;
        CredentialRecord record;
        SecretBytes refresh_token;
        std::string failure;  // not empty: the record or its refresh token does not open
    };
    [[nodiscard]] Result<std::int64_t> scan(const std::function<Result<void>(ScannedRecord&&)>& visit);
    [[nodiscard]] std::uint32_t master_key_id() const { return keys_.master().key_id(); }
    // The master key checked and the data keys loaded (done by every call
    // that reads or writes a record). Errors: as open().
    [[nodiscard]] Result<void> ready() { return check_key(); }
    [[nodiscard]] EtcdKeys& data_keys() { return keys_; }

    // Key rotation (docs/fleet.md "Key rotation on a fleet"), defined in
    // etcd_maintenance.cpp. A pass: every record not wholly sealed under the
    // current data key (the record, or the refresh token inside it), read in
    // one range, and the credentials whose refresh lock is held then.
    struct RotationPass {
        std::vector<etcd::KeyValue> stale;
        std::vector<std::string> locked;  // etcd keys of the records, sorted
        std::int64_t revision = 0;        // the range's
    };
    [[nodiscard]] Result<RotationPass> rotation_pass();
    // Re-seals one record read by rotation_pass() under the current data
    // key, in a transaction comparing its mod_revision. A record found
    // refresh_pending is left (its holder's commit compares on it).
    enum class Resealed : std::uint8_t { resealed, current, pending, changed, gone };
    struct ResealOutcome {
        Resealed outcome = Resealed::resealed;
        std::optional<etcd::KeyValue> now;  // changed: the record as it is now
    };
    // Errors: internal naming the credential when it does not open.
    [[nodiscard]] Result<ResealOutcome> reseal(const etcd::KeyValue& stored);
    [[nodiscard]] std::string records_prefix() const { return prefix_ + "credentials/"; }

    // The etcd key of a credential: PREFIX "credentials/" USER "/" PROVIDER.
    [[nodiscard]] std::string etcd_key(const CredentialKey& key) const;
    [[nodiscard]] etcd::EtcdClient& client() { return *client_; }

private:
    EtcdStore(std::unique_ptr<etcd::EtcdClient> client, std::string prefix, Sealer master, std::chrono::seconds lease);
    [[nodiscard]] std::string lock_key(const CredentialKey& key) const;
    // The credential an etcd key below PREFIX "credentials/" names.
    [[nodiscard]] std::optional<CredentialKey> credential_of(std::string_view etcd_key) const;
    [[nodiscard]] Result<void> check_key();
    [[nodiscard]] Result<void> check_master();
    [[nodiscard]] bool under_current(const etcd::KeyValue& kv, std::uint32_t current);
    // The stored value opened and decoded, and its mod_revision remembered.
    struct Read;
    [[nodiscard]] Result<std::optional<Read>> read(const CredentialKey& key);
    // Writes what `seal` gives over the revision last seen (a second call of
    // `seal` after a key rotation: write() in etcd_store.cpp).
    [[nodiscard]] Result<void> write(const CredentialKey& key, const std::function<Result<std::string>()>& seal,
                                     bool pending);
    // The compare that keeps a record write under the current data key, and
    // whether a refused transaction failed on it (then the next seal reads
    // the keys again).
    [[nodiscard]] KeyGuard key_guard() const;
    [[nodiscard]] bool key_guard_moved(const etcd::TxnAnswer& refused);
    // The record's value as a read of etcd returns it: kept under the lock
    // (above), asked for otherwise.
    [[nodiscard]] Result<std::optional<etcd::KeyValue>> fetch(const CredentialKey& key, const std::string& ek);
    // The kept record, when the watch vouches for it and it is valid (above).
    [[nodiscard]] std::optional<CredentialRecord> watched_copy(const CredentialKey& key);
    // Whether this process holds the refresh lock of `key`.
    [[nodiscard]] bool holds(const CredentialKey& key) const;
    // A record and its refresh token sealed as stored (store-format.md).
    // Sealed under the current data key (etcd_keys.hpp); a refresh token
    // under an older key is sealed again under the current one.
    [[nodiscard]] Result<std::string> seal_refresh_token(const CredentialKey& key, const SecretBytes& refresh_token);
    [[nodiscard]] Result<std::string> seal_record(const CredentialKey& key, const CredentialRecord& record,
                                                  std::string sealed_refresh_token);
    // A sealed record value opened (under whichever key its id names) and decoded.
    [[nodiscard]] Result<DecodedRecord> open_record(const CredentialKey& key, const std::string& sealed);
    // The record as a failed transaction read it back: remembered as the
    // revision to compare next, and decoded for the caller.
    [[nodiscard]] Result<std::optional<CredentialRecord>> reread(const CredentialKey& key,
                                                                 const etcd::RangeAnswer& range);
    struct HeldLock {
        std::int64_t lease = 0;         // the lease it is attached to
        std::int64_t mod_revision = 0;  // its revision: unlock deletes only this one
    };
    // Bookkeeping of a lock taken with its pending mark at `mark_revision`.
    void took(const CredentialKey& key, HeldLock lock, std::int64_t mark_revision, const std::string& sealed);
    // The lock and the pending mark `sealed`, written over `expected` by
    // lock_and_mark() in one transaction; std::nullopt when nothing was
    // written because the current data key moved (seal again).
    struct Kept;
    [[nodiscard]] Result<std::optional<MarkResult>> mark(const CredentialKey& key, const std::string& sealed,
                                                         const Kept& basis);
    // Settles the lost mark of the record at etcd key `ek`, if there is one
    // (settle()); every call that reads or writes that record asks first.
    // fence() and undo() are its two steps (etcd_settle.cpp); true when
    // they wrote.
    [[nodiscard]] Result<void> settle(const std::string& ek);
    struct LostMark;
    [[nodiscard]] Result<bool> fence(const std::string& ek, const LostMark& lost);
    [[nodiscard]] Result<bool> undo(const std::string& ek, const LostMark& lost);
    // A sealed record opened and sealed again, refresh token and all, under
    // the current data key.
    [[nodiscard]] Result<std::string> sealed_again(const CredentialKey& key, const std::string& sealed);
    [[nodiscard]] static Error key_moved_twice(const CredentialKey& key);
    // Why a commit of the mark at `expected` was refused (the record is at
    // `record_now`; the lock is gone or not ours); forgets what it knew.
    [[nodiscard]] Error refused_commit(const CredentialKey& key, std::int64_t expected, std::int64_t record_now,
                                       bool lock_lost);
    // A lease to attach a new lock to, renewed or granted as needed.
    [[nodiscard]] Result<std::int64_t> live_lease();

    std::unique_ptr<etcd::EtcdClient> client_;
    std::string prefix_;
    EtcdKeys keys_;
    bool key_checked_ = false;
    std::chrono::seconds lease_;
    std::map<std::string, HeldLock> held_;                 // lock key -> a lock this process holds
    std::int64_t lease_id_ = 0;                            // the lease of new locks (0: none yet, or given up)
    std::chrono::steady_clock::time_point lease_renewed_;  // when lease_id_ was last granted or renewed
    struct Kept {
        std::int64_t mod_revision = 0;  // 0: absent
        std::string sealed;
        std::int64_t as_of = 0;  // the store's revision when it was read or written
    };
    // A lock_and_mark() whose answer was lost, until settle() settles it.
    struct LostMark {
        CredentialKey key;
        Kept basis;        // the record the mark compared on (mod_revision) and would replace
        std::string mark;  // the pending mark sent
    };
    std::map<std::string, LostMark> lost_;  // etcd key of the record -> its lost mark
    // etcd key -> the record this process last read or wrote (served from
    // it under its lock, or as the watch allows; the basis of lock_and_mark())
    std::map<std::string, Kept> kept_;
    std::map<std::string, std::int64_t> seen_;  // etcd key -> mod_revision last read or written (0: absent)
    std::map<std::string, bool> pinned_;        // etcd key -> our refresh_pending mark is the last write
    // The revision of this process's refresh write to `ek` (took(), a
    // commit), whose echo take() leaves out.
    void wrote_refresh(const std::string& ek, std::int64_t revision);
    std::mutex changes_mutex_;
    Changes changes_;  // under changes_mutex_
    // Under changes_mutex_: the etcd key and revision of each of
    // changes_.keys, in the same order; and the revisions of our own
    // refresh writes whose echo has not come yet, by etcd key (at most
    // k_own_writes_kept each).
    std::vector<std::pair<std::string, std::int64_t>> change_revisions_;
    std::map<std::string, std::set<std::int64_t>> own_writes_;
    static constexpr std::size_t k_own_writes_kept = 8;  // a few refreshes whose echo is late
    std::int64_t watched_from_ = 0;                      // under changes_mutex_: the watch reports changes after it
    std::map<std::string, std::int64_t> last_change_;    // under changes_mutex_: etcd key -> its last change reported
    std::function<void()> wake_;                         // under changes_mutex_
    std::atomic<bool> changed_{false};                   // changes_ is not empty
    std::unique_ptr<etcd::EtcdWatch> watch_;             // last: stopped before the feed it fills goes
};

}  // namespace credctl::store
