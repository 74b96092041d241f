#include "daemon/store/etcd_txn.hpp"

#include "daemon/etcd/etcd_codec.hpp"

#include <boost/json.hpp>

namespace credctl::store {
namespace {

namespace json = boost::json;
using etcd::base64_encode;

// proto3 JSON: 64-bit integers as decimal strings.
json::object compare(std::string_view key, std::string_view target, std::int64_t revision) {
    const std::string field = target == "MOD" ? "mod_revision" : "create_revision";
    return {{"key", base64_encode(key)}, {"result", "EQUAL"}, {"target", target}, {field, std::to_string(revision)}};
}

json::object put(const EtcdPut& p, std::int64_t lease) {
    json::object o{{"key", base64_encode(p.key)}, {"value", base64_encode(p.value)}};
    if (lease != 0) o["lease"] = std::to_string(lease);
    return {{"request_put", std::move(o)}};
}

json::object range(std::string_view key) {
    return {{"request_range", {{"key", base64_encode(key)}}}};
}

}  // namespace

std::string lock_and_mark_request(const EtcdPut& lock, std::int64_t lease, const EtcdPut& record,
                                  std::int64_t record_mod_revision, const KeyGuard& guard) {
    // create_revision 0: the lock key does not exist.
    json::object o{
        {"compare", json::array{compare(lock.key, "CREATE", 0), compare(record.key, "MOD", record_mod_revision),
                                compare(guard.key, "MOD", guard.mod_revision)}},
        {"success", json::array{put(lock, lease), put(record, 0)}},
        {"failure", json::array{range(lock.key), range(record.key), range(guard.key)}}};
    return json::serialize(o);
}

std::string look_request(std::string_view lock_key, std::string_view record_key) {
    json::object o{{"success", json::array{range(lock_key), range(record_key)}}};
    return json::serialize(o);
}

std::string commit_and_unlock_request(const EtcdPut& record, std::int64_t pending_mod_revision,
                                      std::string_view lock_key, std::int64_t lock_create_revision,
                                      const KeyGuard& guard) {
    json::object erase{{"request_delete_range", {{"key", base64_encode(lock_key)}}}};
    json::object o{{"compare", json::array{compare(record.key, "MOD", pending_mod_revision),
                                           compare(lock_key, "CREATE", lock_create_revision),
                                           compare(guard.key, "MOD", guard.mod_revision)}},
                   {"success", json::array{put(record, 0), std::move(erase)}},
                   {"failure", json::array{range(record.key), range(lock_key), range(guard.key)}}};
    return json::serialize(o);
}

std::string record_put_request(const EtcdPut& record, std::int64_t record_mod_revision, const KeyGuard& guard) {
    json::object o{{"compare", json::array{compare(record.key, "MOD", record_mod_revision),
                                           compare(guard.key, "MOD", guard.mod_revision)}},
                   {"success", json::array{put(record, 0)}},
                   {"failure", json::array{range(record.key), range(guard.key)}}};
    return json::serialize(o);
}

}  // namespace credctl::store
