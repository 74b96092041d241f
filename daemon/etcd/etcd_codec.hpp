// The JSON bodies of etcd's v3 gateway (docs/fleet.md "Talking to etcd"):
// the requests EtcdClient sends to /v3/kv/*, /v3/lease/* and what it reads
// back from the answers. Keys and values travel base64-encoded (standard
// alphabet, padded, as protobuf's JSON mapping wants bytes), 64-bit integers
// as decimal strings; proto3 leaves out fields at their default (false, 0,
// empty), so a missing field reads as its default here too.
//
// Used by etcd_client.cpp, etcd_watch.cpp and the unit tests. Thread-safety: pure functions.
#pragma once

#include "common/error/error.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace credctl::etcd {

struct KeyValue {
    std::string key;
    std::string value;
    std::int64_t create_revision = 0;
    std::int64_t mod_revision = 0;
    std::int64_t lease = 0;
};

struct RangeAnswer {
    std::vector<KeyValue> kvs;
    std::int64_t revision = 0;  // the store's revision when it answered
    std::int64_t count = 0;     // the keys in the range (all of them, also when none is returned: count_request())
};

// The answer to a compare-and-put transaction: whether the compare held, and
// when it did not, the key as it is now (absent: kvs empty).
struct TxnAnswer {
    bool succeeded = false;
    std::int64_t revision = 0;  // the store's revision after it: a put's mod_revision
    RangeAnswer current;
    // Every range the branch that ran answered, in the order it asked them
    // (a transaction that reads several keys: daemon/store/etcd_txn.hpp).
    std::vector<RangeAnswer> ranges;
};

[[nodiscard]] std::string base64_encode(std::string_view bytes);
// std::nullopt when `text` is not padded standard base64.
[[nodiscard]] std::optional<std::string> base64_decode(std::string_view text);

// The smallest key greater than every key that starts with `prefix`: the
// range_end of a prefix query ("\0" for an empty prefix, meaning all keys).
[[nodiscard]] std::string prefix_end(std::string_view prefix);

// POST /v3/kv/range: one key, or every key below `prefix` when `range_end`
// is given (prefix_end()).
[[nodiscard]] std::string range_request(std::string_view key, std::optional<std::string_view> range_end,
                                        bool keys_only);
// POST /v3/kv/range, count only: the number of keys below `prefix`, with
// no key or value in the answer (RangeAnswer::count).
[[nodiscard]] std::string count_request(std::string_view prefix);
// POST /v3/kv/txn: put `value` under `key` (attached to `lease`, 0 for none)
// only if the key's mod_revision is `expected_mod_revision`; 0 means only if
// the key is absent. On failure the transaction reads the key back.
[[nodiscard]] std::string put_if_request(std::string_view key, std::string_view value,
                                         std::int64_t expected_mod_revision, std::int64_t lease);
// One compare of a multi-key transaction: the key's mod_revision equals
// `mod_revision` (0: the key is absent), or, with `less`, is below it. With
// `range_end` (prefix_end()), every key in [key, range_end) is compared.
struct TxnCompare {
    std::string key;
    std::int64_t mod_revision = 0;
    bool less = false;
    std::string range_end{};
};
// One write of a multi-key transaction: put `value`, or delete the key.
struct TxnWrite {
    std::string key;
    std::optional<std::string> value;  // std::nullopt: delete
};
// POST /v3/kv/txn: every write, only if every compare holds; nothing else.
[[nodiscard]] std::string txn_request(const std::vector<TxnCompare>& compares, const std::vector<TxnWrite>& writes);
// POST /v3/kv/txn: delete `key` only if its mod_revision is the one given.
[[nodiscard]] std::string delete_if_request(std::string_view key, std::int64_t expected_mod_revision);
// POST /v3/kv/deleterange: one key.
[[nodiscard]] std::string delete_request(std::string_view key);
// POST /v3/lease/grant, /v3/lease/keepalive and /v3/lease/revoke.
[[nodiscard]] std::string lease_grant_request(std::int64_t ttl_seconds);
[[nodiscard]] std::string lease_id_request(std::int64_t lease);

// POST /v3/watch: a create_request for every key below `prefix`, from
// `start_revision` on (0: from the cluster's current revision). It asks for
// fragments (a message larger than the member's --max-request-bytes is split
// between two events, each part but the last flagged `fragment`) and for
// progress notifications (a message without events, sent to a watch that has
// sent every change up to its revision after 10 minutes without one).
[[nodiscard]] std::string watch_request(std::string_view prefix, std::int64_t start_revision = 0);

// One change a watch reports: the key put or deleted, and the revision of
// that put or delete.
struct WatchEvent {
    std::string key;
    std::int64_t mod_revision = 0;
    bool operator==(const WatchEvent&) const = default;
};

// One message of a watch's stream (one line of the gateway's answer).
struct WatchResult {
    bool created = false;                  // the watch is set up: changes from here on are reported
    bool canceled = false;                 // the cluster ended the watch (a compaction, ...)
    bool fragment = false;                 // a part of a message split in several; not its last
    std::int64_t revision = 0;             // the header's: the store's revision when it was sent
    std::int64_t compact_revision = 0;     // canceled: the oldest revision still kept
    std::int64_t last_event_revision = 0;  // the highest mod_revision among the events
    std::vector<WatchEvent> events;        // the keys that changed (put or deleted), in order
};

// Errors: internal naming what is malformed (never a value).
[[nodiscard]] Result<WatchResult> parse_watch_result(std::string_view message);
[[nodiscard]] Result<RangeAnswer> parse_range(std::string_view body);
[[nodiscard]] Result<TxnAnswer> parse_txn(std::string_view body);
// The number of keys a deleterange removed.
[[nodiscard]] Result<std::int64_t> parse_deleted(std::string_view body);
// The lease id granted.
[[nodiscard]] Result<std::int64_t> parse_lease_grant(std::string_view body);
// The TTL left after a keepalive; 0 when the lease is gone.
[[nodiscard]] Result<std::int64_t> parse_keepalive(std::string_view body);
// The gateway's error text ({"error": ..., "message": ...}), or "" when
// the body holds none.
[[nodiscard]] std::string error_message(std::string_view body);

}  // namespace credctl::etcd
