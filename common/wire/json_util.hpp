// Lenient field access on Boost.JSON objects, shared by the wire encoders.
// Only wire/*.cpp include this (it pulls in Boost.JSON).
// Thread-safety: pure functions.
#pragma once

#include "common/error/error.hpp"
#include "common/secret/secret_json.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

namespace credctl::wire::detail {

namespace json = boost::json;

// Errors: bad_request naming `what` when `body` is not a JSON object. Parsed
// into zeroing storage: a body may carry a refresh or an access token.
inline Result<json::object> parse_object(std::string_view body, std::string_view what) {
    boost::system::error_code ec;
    json::value v = parse_secret_json(body, ec);
    if (ec || !v.is_object()) return make_error(Errc::bad_request, std::string(what) + ": body is not a JSON object");
    return std::move(v.as_object());
}

// The string at `key`, or "" when absent or not a string.
inline std::string str(const json::object& o, std::string_view key) {
    if (const auto* v = o.if_contains(key); v != nullptr && v->is_string()) return std::string(v->as_string());
    return {};
}

inline std::optional<std::string> opt_str(const json::object& o, std::string_view key) {
    if (const auto* v = o.if_contains(key); v != nullptr && v->is_string()) return std::string(v->as_string());
    return std::nullopt;
}

// The integer at `key`, or 0 when absent or not an integer.
inline std::int64_t num(const json::object& o, std::string_view key) {
    if (const auto* v = o.if_contains(key); v != nullptr && v->is_int64()) return v->as_int64();
    if (const auto* v = o.if_contains(key); v != nullptr && v->is_uint64())
        return static_cast<std::int64_t>(v->as_uint64());
    return 0;
}

// The strings of the array at `key`: none when absent or not an array;
// elements that are not strings are skipped.
inline std::vector<std::string> strings(const json::object& o, std::string_view key) {
    std::vector<std::string> out;
    if (const auto* a = o.if_contains(key); a != nullptr && a->is_array()) {
        for (const auto& el : a->as_array()) {
            if (el.is_string()) out.emplace_back(el.as_string());
        }
    }
    return out;
}

// Each object of the array at `key` as `read` makes it into a value: none
// when absent or not an array; elements that are not objects are skipped.
template <class Read>
auto objects(const json::object& o, std::string_view key, Read read)
    -> std::vector<std::invoke_result_t<Read, const json::object&>> {
    std::vector<std::invoke_result_t<Read, const json::object&>> out;
    if (const auto* a = o.if_contains(key); a != nullptr && a->is_array()) {
        for (const auto& el : a->as_array()) {
            if (el.is_object()) out.push_back(read(el.as_object()));
        }
    }
    return out;
}

inline json::value opt_value(const std::optional<std::string>& v) {
    return v ? json::value(*v) : json::value(nullptr);
}

}  // namespace credctl::wire::detail
