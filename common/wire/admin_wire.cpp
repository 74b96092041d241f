#include "common/wire/admin_wire.hpp"

#include "common/wire/json_util.hpp"

namespace credctl::wire {
namespace {

namespace json = boost::json;
using detail::num;
using detail::objects;
using detail::parse_object;
using detail::str;

}  // namespace

std::string to_json(const StoreStatus& v) {
    json::array keys;
    for (auto k : v.keys) keys.emplace_back(k);
    return json::serialize(json::object{{"records", v.records},
                                        {"used_bytes", v.used_bytes},
                                        {"map_bytes", v.map_bytes},
                                        {"max_map_bytes", v.max_map_bytes},
                                        {"current_key", v.current_key},
                                        {"keys", std::move(keys)},
                                        {"rotating", v.rotating},
                                        {"resealed", v.resealed},
                                        {"rotation_error", v.rotation_error},
                                        {"left", v.left}});
}

Result<StoreStatus> parse_store_status(std::string_view body) {
    auto o = parse_object(body, "store status");
    if (!o) return o.error();
    StoreStatus s{num(*o, "records"),
                  num(*o, "used_bytes"),
                  num(*o, "map_bytes"),
                  num(*o, "max_map_bytes"),
                  num(*o, "current_key"),
                  {},
                  false,
                  num(*o, "resealed"),
                  str(*o, "rotation_error"),
                  num(*o, "left")};
    if (const auto* r = o->if_contains("rotating"); r != nullptr && r->is_bool()) s.rotating = r->as_bool();
    if (const auto* k = o->if_contains("keys"); k != nullptr && k->is_array()) {
        for (const auto& id : k->as_array()) {
            if (id.is_int64()) s.keys.push_back(id.as_int64());
        }
    }
    return s;
}

std::string to_json(const CheckResult& v) {
    json::array failures;
    for (const auto& f : v.failures)
        failures.push_back(json::object{{"credential", f.credential}, {"reason", f.reason}});
    return json::serialize(
        json::object{{"records", v.records}, {"opened", v.opened}, {"failures", std::move(failures)}});
}

Result<CheckResult> parse_check_result(std::string_view body) {
    auto o = parse_object(body, "check result");
    if (!o) return o.error();
    CheckResult c{num(*o, "records"), num(*o, "opened"), {}};
    c.failures = objects(*o, "failures", [](const json::object& e) {
        return CheckFailureInfo{str(e, "credential"), str(e, "reason")};
    });
    return c;
}

std::string to_json(const Backup& v) {
    return json::serialize(json::object{{"path", v.path}, {"bytes", v.bytes}});
}

std::string to_json(const RestoreResult& v) {
    json::array items;
    for (const auto& i : v.items) {
        items.push_back(json::object{{"credential", i.credential}, {"outcome", i.outcome}, {"reason", i.reason}});
    }
    return json::serialize(json::object{{"moved", v.moved},
                                        {"skipped", v.skipped},
                                        {"refused", v.refused},
                                        {"failed", v.failed},
                                        {"items", std::move(items)}});
}

Result<RestoreResult> parse_restore_result(std::string_view body) {
    auto o = parse_object(body, "restore result");
    if (!o) return o.error();
    RestoreResult r{num(*o, "moved"), num(*o, "skipped"), num(*o, "refused"), num(*o, "failed"), {}};
    r.items = objects(*o, "items", [](const json::object& i) {
        return RestoreItem{str(i, "credential"), str(i, "outcome"), str(i, "reason")};
    });
    return r;
}

Result<Backup> parse_backup(std::string_view body) {
    auto o = parse_object(body, "backup");
    if (!o) return o.error();
    const auto* p = o->if_contains("path");
    if (p == nullptr || !p->is_string()) return make_error(Errc::bad_request, "backup: \"path\" must be a string");
    return Backup{std::string(p->as_string()), num(*o, "bytes")};
}

std::string to_json(const KeyFile& v) {
    return json::serialize(json::object{{"path", v.path}});
}

Result<KeyFile> parse_key_file(std::string_view body) {
    auto b = parse_backup(body);
    if (!b) return b.error();
    return KeyFile{std::move(b->path)};
}

}  // namespace credctl::wire
