#include "common/wire/admin_wire.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

namespace credctl::wire {
namespace {

namespace json = boost::json;

Result<json::object> object_of(std::string_view body, std::string_view what) {
    boost::system::error_code ec;
    json::value v = json::parse(body, ec);
    if (ec || !v.is_object()) return make_error(Errc::bad_request, std::string(what) + ": body is not a JSON object");
    return std::move(v.as_object());
}

std::string text(const json::object& o, std::string_view key) {
    if (const auto* v = o.if_contains(key); v != nullptr && v->is_string()) return std::string(v->as_string());
    return {};
}

std::int64_t integer(const json::object& o, std::string_view key) {
    if (const auto* v = o.if_contains(key); v != nullptr && v->is_int64()) return v->as_int64();
    return 0;
}

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
                                        {"rotation_error", v.rotation_error}});
}

Result<StoreStatus> parse_store_status(std::string_view body) {
    auto o = object_of(body, "store status");
    if (!o) return o.error();
    StoreStatus s{integer(*o, "records"), integer(*o, "used_bytes"), integer(*o, "map_bytes"),
                  integer(*o, "max_map_bytes"), integer(*o, "current_key"), {}, false, integer(*o, "resealed"),
                  text(*o, "rotation_error")};
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
    for (const auto& f : v.failures) failures.push_back(json::object{{"credential", f.credential}, {"reason", f.reason}});
    return json::serialize(
        json::object{{"records", v.records}, {"opened", v.opened}, {"failures", std::move(failures)}});
}

Result<CheckResult> parse_check_result(std::string_view body) {
    auto o = object_of(body, "check result");
    if (!o) return o.error();
    CheckResult c{integer(*o, "records"), integer(*o, "opened"), {}};
    if (const auto* f = o->if_contains("failures"); f != nullptr && f->is_array()) {
        for (const auto& e : f->as_array()) {
            if (e.is_object()) c.failures.push_back({text(e.as_object(), "credential"), text(e.as_object(), "reason")});
        }
    }
    return c;
}

std::string to_json(const Backup& v) { return json::serialize(json::object{{"path", v.path}, {"bytes", v.bytes}}); }

Result<Backup> parse_backup(std::string_view body) {
    auto o = object_of(body, "backup");
    if (!o) return o.error();
    const auto* p = o->if_contains("path");
    if (p == nullptr || !p->is_string()) return make_error(Errc::bad_request, "backup: \"path\" must be a string");
    return Backup{std::string(p->as_string()), integer(*o, "bytes")};
}

}  // namespace credctl::wire
