#include "daemon/etcd/etcd_codec.hpp"

#include <sodium.h>
#include <boost/json.hpp>

#include <algorithm>
#include <charconv>

namespace credctl::etcd {
namespace {

namespace json = boost::json;

std::string number(std::int64_t n) {
    return std::to_string(n);
}

Error malformed(std::string_view what) {
    return make_error(Errc::internal, "etcd: malformed answer: " + std::string(what));
}

Result<json::object> parse_object(std::string_view body) {
    boost::system::error_code ec;
    json::value v = json::parse(body, ec);
    if (ec || !v.is_object()) return malformed("not a JSON object");
    return std::move(v.as_object());
}

// proto3 JSON: int64 as a decimal string (or, leniently, a number); absent
// means 0.
std::optional<std::int64_t> int64_field(const json::object& o, std::string_view name) {
    const auto* v = o.if_contains(name);
    if (v == nullptr) return 0;
    if (v->is_int64()) return v->as_int64();
    if (v->is_uint64()) return static_cast<std::int64_t>(v->as_uint64());
    if (!v->is_string()) return std::nullopt;
    const auto& s = v->as_string();
    std::int64_t n = 0;
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
    if (ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
    return n;
}

std::optional<std::string> bytes_field(const json::object& o, std::string_view name) {
    const auto* v = o.if_contains(name);
    if (v == nullptr) return std::string();
    if (!v->is_string()) return std::nullopt;
    return base64_decode(v->as_string());
}

Result<KeyValue> parse_kv(const json::value& v) {
    if (!v.is_object()) return malformed("kvs entry is not an object");
    const auto& o = v.as_object();
    auto key = bytes_field(o, "key");
    auto value = bytes_field(o, "value");
    if (!key || !value) return malformed("kvs entry with a key or value that is not base64");
    auto create = int64_field(o, "create_revision");
    auto mod = int64_field(o, "mod_revision");
    auto lease = int64_field(o, "lease");
    if (!create || !mod || !lease) return malformed("kvs entry with a revision that is not a number");
    return KeyValue{std::move(*key), std::move(*value), *create, *mod, *lease};
}

std::optional<std::int64_t> header_revision(const json::object& o) {
    const auto* header = o.if_contains("header");
    if (header == nullptr || !header->is_object()) return 0;
    return int64_field(header->as_object(), "revision");
}

Result<RangeAnswer> parse_range_object(const json::object& o) {
    RangeAnswer out;
    auto revision = header_revision(o);
    if (!revision) return malformed("header.revision is not a number");
    out.revision = *revision;
    auto count = int64_field(o, "count");
    if (!count || *count < 0) return malformed("count is not a number of keys");
    out.count = *count;
    if (const auto* kvs = o.if_contains("kvs"); kvs != nullptr) {
        if (!kvs->is_array()) return malformed("kvs is not an array");
        for (const auto& kv : kvs->as_array()) {
            auto parsed = parse_kv(kv);
            if (!parsed) return parsed.error();
            out.kvs.push_back(std::move(*parsed));
        }
    }
    return out;
}

json::object compare_mod(std::string_view key, std::int64_t expected_mod_revision) {
    return {{"key", base64_encode(key)},
            {"result", "EQUAL"},
            {"target", "MOD"},
            {"mod_revision", number(expected_mod_revision)}};
}

}  // namespace

std::string base64_encode(std::string_view bytes) {
    constexpr int k_variant = sodium_base64_VARIANT_ORIGINAL;
    std::string out(sodium_base64_encoded_len(bytes.size(), k_variant), '\0');
    sodium_bin2base64(out.data(), out.size(), reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(),
                      k_variant);
    out.pop_back();  // the terminating NUL libsodium counts in the length
    return out;
}

std::optional<std::string> base64_decode(std::string_view text) {
    // libsodium takes a byte over 0x7f (a negative char) for a digit: check
    // the alphabet first.
    const auto digit = [](char c) {
        return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' || c == '/' ||
               c == '=';
    };
    if (!std::all_of(text.begin(), text.end(), digit)) return std::nullopt;
    std::string out(text.size() / 4 * 3 + 3, '\0');
    std::size_t len = 0;
    const char* end = nullptr;
    if (sodium_base642bin(reinterpret_cast<unsigned char*>(out.data()), out.size(), text.data(), text.size(), nullptr,
                          &len, &end, sodium_base64_VARIANT_ORIGINAL) != 0 ||
        end != text.data() + text.size()) {
        return std::nullopt;
    }
    out.resize(len);
    return out;
}

std::string prefix_end(std::string_view prefix) {
    std::string end(prefix);
    while (!end.empty()) {
        auto& last = reinterpret_cast<unsigned char&>(end.back());
        if (last < 0xff) {
            ++last;
            return end;
        }
        end.pop_back();
    }
    return std::string(1, '\0');  // etcd: range_end "\0" is every key >= key
}

std::string range_request(std::string_view key, std::optional<std::string_view> range_end, bool keys_only) {
    json::object o{{"key", base64_encode(key)}};
    if (range_end) o["range_end"] = base64_encode(*range_end);
    if (keys_only) o["keys_only"] = true;
    return json::serialize(o);
}

std::string count_request(std::string_view prefix) {
    json::object o{{"key", base64_encode(prefix)}, {"range_end", base64_encode(prefix_end(prefix))}};
    o["count_only"] = true;
    o["keys_only"] = true;
    return json::serialize(o);
}

std::string put_if_request(std::string_view key, std::string_view value, std::int64_t expected_mod_revision,
                           std::int64_t lease) {
    json::object put{{"key", base64_encode(key)}, {"value", base64_encode(value)}};
    if (lease != 0) put["lease"] = number(lease);
    json::object o{{"compare", json::array{compare_mod(key, expected_mod_revision)}},
                   {"success", json::array{json::object{{"request_put", std::move(put)}}}},
                   {"failure", json::array{json::object{{"request_range", {{"key", base64_encode(key)}}}}}}};
    return json::serialize(o);
}

std::string txn_request(const std::vector<TxnCompare>& compares, const std::vector<TxnWrite>& writes) {
    json::array cmp;
    for (const auto& c : compares) {
        json::object o = compare_mod(c.key, c.mod_revision);
        if (c.less) o["result"] = "LESS";
        if (!c.range_end.empty()) o["range_end"] = base64_encode(c.range_end);
        cmp.push_back(std::move(o));
    }
    json::array ops;
    for (const auto& w : writes) {
        if (w.value) {
            ops.push_back(json::object{
                {"request_put", json::object{{"key", base64_encode(w.key)}, {"value", base64_encode(*w.value)}}}});
        } else {
            ops.push_back(json::object{{"request_delete_range", json::object{{"key", base64_encode(w.key)}}}});
        }
    }
    return json::serialize(json::object{{"compare", std::move(cmp)}, {"success", std::move(ops)}});
}

std::string delete_if_request(std::string_view key, std::int64_t expected_mod_revision) {
    json::object o{{"compare", json::array{compare_mod(key, expected_mod_revision)}},
                   {"success", json::array{json::object{{"request_delete_range", {{"key", base64_encode(key)}}}}}}};
    return json::serialize(o);
}

std::string delete_request(std::string_view key) {
    return json::serialize(json::object{{"key", base64_encode(key)}});
}

std::string lease_grant_request(std::int64_t ttl_seconds) {
    return json::serialize(json::object{{"TTL", number(ttl_seconds)}});
}

std::string lease_id_request(std::int64_t lease) {
    return json::serialize(json::object{{"ID", number(lease)}});
}

Result<RangeAnswer> parse_range(std::string_view body) {
    auto o = parse_object(body);
    if (!o) return o.error();
    return parse_range_object(*o);
}

Result<TxnAnswer> parse_txn(std::string_view body) {
    auto o = parse_object(body);
    if (!o) return o.error();
    TxnAnswer out;
    auto revision = header_revision(*o);
    if (!revision) return malformed("header.revision is not a number");
    out.revision = *revision;
    if (const auto* s = o->if_contains("succeeded"); s != nullptr) {
        if (!s->is_bool()) return malformed("succeeded is not a boolean");
        out.succeeded = s->as_bool();
    }
    const auto* responses = o->if_contains("responses");
    if (responses == nullptr) return out;
    if (!responses->is_array()) return malformed("responses is not an array");
    for (const auto& r : responses->as_array()) {
        const auto* range = r.is_object() ? r.as_object().if_contains("response_range") : nullptr;
        if (range == nullptr || !range->is_object()) continue;
        auto current = parse_range_object(range->as_object());
        if (!current) return current.error();
        out.ranges.push_back(std::move(*current));
    }
    if (!out.succeeded && !out.ranges.empty()) out.current = out.ranges.back();
    return out;
}

Result<std::int64_t> parse_deleted(std::string_view body) {
    auto o = parse_object(body);
    if (!o) return o.error();
    auto n = int64_field(*o, "deleted");
    if (!n) return malformed("deleted is not a number");
    return *n;
}

Result<std::int64_t> parse_lease_grant(std::string_view body) {
    auto o = parse_object(body);
    if (!o) return o.error();
    auto id = int64_field(*o, "ID");
    if (!id || *id == 0) return malformed("lease grant without an ID");
    return *id;
}

Result<std::int64_t> parse_keepalive(std::string_view body) {
    // A streaming call: the gateway wraps each answer in {"result": ...}.
    auto o = parse_object(body.substr(0, body.find('\n')));
    if (!o) return o.error();
    const json::object* inner = &*o;
    if (const auto* r = o->if_contains("result"); r != nullptr && r->is_object()) inner = &r->as_object();
    auto ttl = int64_field(*inner, "TTL");
    if (!ttl) return malformed("TTL is not a number");
    return *ttl;
}

std::string error_message(std::string_view body) {
    auto o = parse_object(body);
    if (!o) return "";
    for (const auto* name : {"message", "error"}) {
        if (const auto* v = o->if_contains(name); v != nullptr && v->is_string()) return std::string(v->as_string());
    }
    return "";
}

std::string watch_request(std::string_view prefix, std::int64_t start_revision) {
    const std::string end = prefix_end(prefix);
    json::object create{{"key", base64_encode(prefix)}, {"range_end", base64_encode(end)}};
    if (start_revision > 0) create["start_revision"] = number(start_revision);
    create["progress_notify"] = true;
    create["fragment"] = true;
    return json::serialize(json::object{{"create_request", std::move(create)}});
}

Result<WatchResult> parse_watch_result(std::string_view message) {
    auto o = parse_object(message);
    if (!o) return o.error();
    const auto* result = o->if_contains("result");
    if (result == nullptr || !result->is_object()) {
        const std::string why = error_message(message);
        return malformed(why.empty() ? "watch message without a result" : "watch ended: " + why);
    }
    const auto& r = result->as_object();
    WatchResult out;
    auto revision = header_revision(r);
    if (!revision) return malformed("header.revision is not a number");
    out.revision = *revision;
    const auto* created = r.if_contains("created");
    const auto* canceled = r.if_contains("canceled");
    const auto* fragment = r.if_contains("fragment");
    out.created = created != nullptr && created->is_bool() && created->as_bool();
    out.canceled = canceled != nullptr && canceled->is_bool() && canceled->as_bool();
    out.fragment = fragment != nullptr && fragment->is_bool() && fragment->as_bool();
    auto compact = int64_field(r, "compact_revision");
    if (!compact) return malformed("compact_revision is not a number");
    out.compact_revision = *compact;
    if (const auto* events = r.if_contains("events"); events != nullptr) {
        if (!events->is_array()) return malformed("events is not an array");
        for (const auto& e : events->as_array()) {
            const auto* kv = e.is_object() ? e.as_object().if_contains("kv") : nullptr;
            if (kv == nullptr || !kv->is_object()) return malformed("event without a kv object");
            auto key = bytes_field(kv->as_object(), "key");
            if (!key || key->empty()) return malformed("event with a key that is not base64");
            auto mod = int64_field(kv->as_object(), "mod_revision");
            if (!mod) return malformed("event with a mod_revision that is not a number");
            out.last_event_revision = std::max(out.last_event_revision, *mod);
            out.events.push_back(WatchEvent{std::move(*key), *mod});
        }
    }
    return out;
}

}  // namespace credctl::etcd
