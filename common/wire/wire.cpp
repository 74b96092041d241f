#include "common/wire/wire.hpp"

#include "common/text/utf8.hpp"
#include "common/wire/json_util.hpp"

#include <cstdint>
#include <cstring>

namespace credctl::wire {
namespace {

using namespace detail;

// Copies a JSON string (in zeroing storage, parse_object()) into guarded
// memory.
SecretBytes take_secret(const json::object& o, std::string_view key) {
    const auto* v = o.if_contains(key);
    if (v == nullptr || !v->is_string()) return {};
    return SecretBytes::from(v->as_string());
}

}  // namespace

bool valid_name(std::string_view name) {
    if (name.empty() || name.size() > 64 || name[0] == '.' || name[0] == '-') return false;
    for (char c : name) {
        const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
                        c == '_' || c == '-' || c == '@';
        if (!ok) return false;
    }
    return true;
}

namespace {

// A byte a JSON string may not hold as it is ('"', '\\', the C0 controls),
// one credd writes escaped anyway (DEL), or one that starts text the
// escaper must look at (above 0x7f: a C1 control, a byte of no valid UTF-8
// sequence, or text to copy).
bool needs_look(char c) {
    const auto b = static_cast<unsigned char>(c);
    return c == '"' || c == '\\' || b < 0x20 || b >= 0x7f;
}

// The index of the first byte of `s` at or after `i` that needs_look(), or
// s.size(). Eight bytes are tested at once while eight are left (a token
// is one long run of bytes that need none): a word holds such a byte
// exactly when one of its bytes is below 0x20, equals '"' or '\\', or is
// DEL or above (the "has a zero byte" and "has a byte less than n" tests).
std::size_t next_look(std::string_view s, std::size_t i) {
    constexpr std::uint64_t k_ones = 0x0101010101010101ULL;
    constexpr std::uint64_t k_highs = k_ones * 0x80;
    const auto below = [](std::uint64_t w, std::uint64_t n) { return (w - k_ones * n) & ~w & k_highs; };
    for (; i + 8 <= s.size(); i += 8) {
        std::uint64_t w = 0;
        std::memcpy(&w, s.data() + i, sizeof w);
        // A byte of 0x7f or above: its high bit is set in w or in w + 1 (a
        // carry only ever comes out of a byte 0xff, itself one).
        const std::uint64_t high = (w | (w + k_ones)) & k_highs;
        if ((high | below(w, 0x20) | below(w ^ (k_ones * '"'), 1) | below(w ^ (k_ones * '\\'), 1)) != 0) break;
    }
    while (i < s.size() && !needs_look(s[i])) ++i;
    return i;
}

// What the bytes at s[i] (a byte needs_look() holds for) become.
struct Look {
    enum Kind { escape, copy, replace };
    Kind kind;
    std::size_t length;   // bytes of `s` taken
    std::size_t written;  // bytes appended for them
};

Look look_at(std::string_view s, std::size_t i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c == '"' || c == '\\' || c == '\b' || c == '\f' || c == '\n' || c == '\r' || c == '\t') {
        return {Look::escape, 1, 2};
    }
    if (c < 0x80) return {Look::escape, 1, 6};  // \u00XX: the other C0 controls, DEL
    const std::size_t n = text::utf8_sequence(s, i);
    if (n == 0) return {Look::replace, 1, 3};  // U+FFFD, one per byte
    if (text::c1_control(s, i, n)) return {Look::escape, 2, 6};
    return {Look::copy, n, n};
}

// The length of `s` as append_json_string() writes it.
std::size_t json_string_size(std::string_view s) {
    std::size_t n = 2;
    for (std::size_t from = 0;;) {
        const std::size_t i = next_look(s, from);
        n += i - from;
        if (i == s.size()) return n;
        const Look look = look_at(s, i);
        n += look.written;
        from = i + look.length;
    }
}

// Appends what look_at() says the bytes at s[i] become.
template <class String>
void append_looked(String& out, std::string_view s, std::size_t i, const Look& look) {
    static constexpr char k_hex[] = "0123456789abcdef";
    if (look.kind == Look::copy) {
        out.append(s.data() + i, look.length);
        return;
    }
    if (look.kind == Look::replace) {
        out += "\xef\xbf\xbd";  // U+FFFD REPLACEMENT CHARACTER
        return;
    }
    // A C1 control's code point is its second byte.
    const auto c = static_cast<unsigned char>(s[i + look.length - 1]);
    switch (c) {
        case '"':
            out += "\\\"";
            return;
        case '\\':
            out += "\\\\";
            return;
        case '\b':
            out += "\\b";
            return;
        case '\f':
            out += "\\f";
            return;
        case '\n':
            out += "\\n";
            return;
        case '\r':
            out += "\\r";
            return;
        case '\t':
            out += "\\t";
            return;
        default:
            out += "\\u00";
            out += k_hex[c >> 4];
            out += k_hex[c & 0xf];
    }
}

// Runs of bytes that need no look (a token is one run) are appended whole,
// not a byte at a time.
template <class String>
void append_json_string_to(String& out, std::string_view s) {
    out.reserve(out.size() + s.size() + 2);
    out += '"';
    for (std::size_t from = 0;;) {
        const std::size_t i = next_look(s, from);
        out.append(s.data() + from, i - from);
        if (i == s.size()) break;
        const Look look = look_at(s, i);
        append_looked(out, s, i, look);
        from = i + look.length;
    }
    out += '"';
}

}  // namespace

void append_json_string(std::string& out, std::string_view s) {
    append_json_string_to(out, s);
}
void append_json_string(SecretString& out, std::string_view s) {
    append_json_string_to(out, s);
}

SecretString to_json(const StoreCredential& v) {
    json::object o(zeroing_storage());
    o["refresh_token"] = v.refresh_token.reveal();
    if (!v.access_token.empty()) o["access_token"] = v.access_token.reveal();
    o["access_expires_at"] = v.access_expires_at;
    o["scope"] = v.scope;
    o["issuer"] = v.issuer;
    o["subject"] = v.subject;
    return serialize_secret_json(o);
}

Result<StoreCredential> parse_store_credential(std::string_view body) {
    auto o = parse_object(body, "credential");
    if (!o) return o.error();
    StoreCredential v;
    v.refresh_token = take_secret(*o, "refresh_token");
    v.access_token = take_secret(*o, "access_token");
    if (v.refresh_token.empty()) return make_error(Errc::bad_request, "credential: refresh_token is required");
    v.access_expires_at = num(*o, "access_expires_at");
    v.scope = str(*o, "scope");
    v.issuer = str(*o, "issuer");
    v.subject = str(*o, "subject");
    return v;
}

// Built field by field: the answer to every token request, and the token is
// copied once, into the answer, instead of into a json::object first. The
// string is sized up front, so that it is allocated once.
SecretString to_json(const AccessToken& v) {
    const std::string expires_at = std::to_string(v.expires_at);
    SecretString out;
    out.reserve(json_string_size(v.access_token.reveal()) + json_string_size(v.token_type) + json_string_size(v.scope) +
                expires_at.size() + 64);
    out += "{\"access_token\":";
    append_json_string(out, v.access_token.reveal());
    out += ",\"token_type\":";
    append_json_string(out, v.token_type);
    out += ",\"expires_at\":";
    out += expires_at;
    out += ",\"scope\":";
    append_json_string(out, v.scope);
    out += '}';
    return out;
}

Result<AccessToken> parse_access_token(std::string_view body) {
    auto o = parse_object(body, "token");
    if (!o) return o.error();
    AccessToken v;
    v.access_token = take_secret(*o, "access_token");
    if (v.access_token.empty()) return make_error(Errc::internal, "token: daemon answer has no access_token");
    v.token_type = str(*o, "token_type");
    v.expires_at = num(*o, "expires_at");
    v.scope = str(*o, "scope");
    return v;
}

std::string to_json(const std::vector<CredentialInfo>& v) {
    json::array arr;
    for (const auto& c : v) {
        arr.push_back(json::object{{"user", c.user},
                                   {"provider", c.provider},
                                   {"issuer", c.issuer},
                                   {"subject", c.subject},
                                   {"scope", c.scope},
                                   {"created_at", c.created_at},
                                   {"updated_at", c.updated_at},
                                   {"access_expires_at", c.access_expires_at},
                                   {"state", c.state},
                                   {"unavailable_since", c.unavailable_since}});
    }
    return json::serialize(json::object{{"credentials", std::move(arr)}});
}

Result<std::vector<CredentialInfo>> parse_credential_list(std::string_view body) {
    auto o = parse_object(body, "credential list");
    if (!o) return o.error();
    std::vector<CredentialInfo> out;
    const auto* arr = o->if_contains("credentials");
    if (arr == nullptr || !arr->is_array()) return make_error(Errc::internal, "credential list: no credentials array");
    for (const auto& el : arr->as_array()) {
        if (!el.is_object()) continue;
        const auto& c = el.as_object();
        out.push_back({str(c, "user"), str(c, "provider"), str(c, "issuer"), str(c, "subject"), str(c, "scope"),
                       num(c, "created_at"), num(c, "updated_at"), num(c, "access_expires_at"), str(c, "state"),
                       num(c, "unavailable_since")});
    }
    return out;
}

std::string to_json(const Status& v) {
    json::array endpoints;
    for (const auto& e : v.store_endpoints) {
        endpoints.push_back(
            json::object{{"url", e.url}, {"answers", e.answers}, {"reads", e.reads}, {"detail", e.detail}});
    }
    return json::serialize(json::object{{"version", v.version},
                                        {"uptime_seconds", v.uptime_seconds},
                                        {"credentials", v.credentials},
                                        {"connections", v.connections},
                                        {"store", v.store},
                                        {"administrator", v.administrator},
                                        {"store_backend", v.store_backend},
                                        {"store_state", v.store_state},
                                        {"store_endpoints", std::move(endpoints)}});
}

namespace {

bool flag(const json::object& o, std::string_view key) {
    const auto* v = o.if_contains(key);
    return v != nullptr && v->is_bool() && v->as_bool();
}

}  // namespace

Result<Status> parse_status(std::string_view body) {
    auto o = parse_object(body, "status");
    if (!o) return o.error();
    Status s{str(*o, "version"), num(*o, "uptime_seconds"), num(*o, "credentials"), num(*o, "connections"),
             str(*o, "store")};
    s.administrator = flag(*o, "administrator");
    s.store_backend = str(*o, "store_backend");
    s.store_state = str(*o, "store_state");
    s.store_endpoints = objects(*o, "store_endpoints", [](const json::object& e) {
        return StoreEndpoint{str(e, "url"), flag(e, "answers"), flag(e, "reads"), str(e, "detail")};
    });
    return s;
}

std::string to_json(const Removal& v) {
    return json::serialize(json::object{{"revoked", v.revoked}, {"revocation_error", v.revocation_error}});
}

Result<Removal> parse_removal(std::string_view body) {
    auto o = parse_object(body, "removal");
    if (!o) return o.error();
    Removal r;
    if (const auto* v = o->if_contains("revoked"); v != nullptr && v->is_bool()) r.revoked = v->as_bool();
    r.revocation_error = str(*o, "revocation_error");
    return r;
}

std::string to_json(const std::vector<ProviderConfig>& v) {
    json::array arr;
    for (const auto& p : v) {
        json::array scopes;
        for (const auto& s : p.scopes) scopes.emplace_back(s);
        arr.push_back(json::object{{"name", p.name},
                                   {"issuer", p.issuer},
                                   {"authorization_endpoint", p.authorization_endpoint},
                                   {"token_endpoint", p.token_endpoint},
                                   {"revocation_endpoint", p.revocation_endpoint},
                                   {"client_id", p.client_id},
                                   {"client_auth", to_string(p.client_auth)},
                                   {"scopes", std::move(scopes)},
                                   {"redirect_port", p.redirect_port},
                                   {"device_authorization_endpoint", p.device_authorization_endpoint},
                                   {"ca_file", p.ca_file},
                                   {"resource", p.resource},
                                   {"default", p.is_default}});
    }
    return json::serialize(json::object{{"providers", std::move(arr)}});
}

Result<std::vector<ProviderConfig>> parse_providers(std::string_view body) {
    auto o = parse_object(body, "providers");
    if (!o) return o.error();
    const auto* arr = o->if_contains("providers");
    if (arr == nullptr || !arr->is_array()) return make_error(Errc::internal, "providers: no providers array");
    std::vector<ProviderConfig> out;
    for (const auto& el : arr->as_array()) {
        if (!el.is_object()) continue;
        const auto& p = el.as_object();
        ProviderConfig c;
        c.name = str(p, "name");
        c.issuer = str(p, "issuer");
        c.authorization_endpoint = str(p, "authorization_endpoint");
        c.token_endpoint = str(p, "token_endpoint");
        c.revocation_endpoint = str(p, "revocation_endpoint");
        c.client_id = str(p, "client_id");
        c.client_auth = parse_client_auth(str(p, "client_auth")).value_or(ClientAuth::none);
        c.scopes = strings(p, "scopes");
        const auto port = num(p, "redirect_port");
        c.redirect_port = port > 0 && port < 65536 ? static_cast<std::uint16_t>(port) : 0;
        c.device_authorization_endpoint = str(p, "device_authorization_endpoint");
        c.ca_file = str(p, "ca_file");
        c.resource = str(p, "resource");
        if (const auto* d = p.if_contains("default"); d != nullptr && d->is_bool()) c.is_default = d->as_bool();
        out.push_back(std::move(c));
    }
    return out;
}

std::string to_json(const Problem& v) {
    return json::serialize(json::object{{"type", "about:blank"},
                                        {"title", to_string(v.code)},
                                        {"status", http_status(v.code)},
                                        {"code", to_string(v.code)},
                                        // A denial's detail may quote the caller's executable.
                                        {"detail", text::valid_utf8(v.detail)}});
}

Error parse_problem(int status, std::string_view body) {
    boost::system::error_code ec;
    json::value v = json::parse(body, ec);
    if (!ec && v.is_object()) {
        const auto& o = v.as_object();
        const std::string code = str(o, "code");
        if (!code.empty()) return make_error(errc_from_string(code), str(o, "detail"));
    }
    return make_error(Errc::internal, "daemon answered HTTP " + std::to_string(status) + " without a problem document");
}

}  // namespace credctl::wire
