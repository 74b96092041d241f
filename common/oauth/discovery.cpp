#include "common/oauth/discovery.hpp"

#include "common/net/endpoint_url.hpp"
#include "common/secret/secret_json.hpp"

#include <boost/json/object.hpp>

#include <array>
#include <utility>

namespace credctl::oauth {
namespace {

namespace json = boost::json;

std::string json_string(const json::object& o, std::string_view key) {
    if (const auto* v = o.if_contains(key); v != nullptr && v->is_string()) return std::string(v->as_string());
    return {};
}

Result<json::object> parse_document(std::string_view body, const std::string& url) {
    boost::system::error_code ec;
    json::value v = parse_secret_json(body, ec);
    if (ec || !v.is_object()) {
        return make_error(Errc::provider_unavailable, "discovery document at " + url + " is not a JSON object");
    }
    return std::move(v.as_object());
}

// The URL-valued fields of a discovery document (OpenID Connect Discovery
// §3, RFC 8414 §2) that credctl uses, and where they go. Each is held to the
// endpoint rule (common/net/endpoint_url.hpp) before it is used: the
// authorization endpoint in particular goes to the browser unchecked by the
// HTTP client.
struct UrlField {
    std::string_view key;
    std::string Endpoints::*endpoint;
    std::string ProviderConfig::*configured;
};
constexpr std::array<UrlField, 4> k_url_fields{{
    {"authorization_endpoint", &Endpoints::authorization_endpoint, &ProviderConfig::authorization_endpoint},
    {"token_endpoint", &Endpoints::token_endpoint, &ProviderConfig::token_endpoint},
    {"revocation_endpoint", &Endpoints::revocation_endpoint, &ProviderConfig::revocation_endpoint},
    {"device_authorization_endpoint", &Endpoints::device_authorization_endpoint,
     &ProviderConfig::device_authorization_endpoint},
}};

// SPEC §6: plain http only for loopback issuers. So a discovered endpoint may
// be plain http (to loopback) only when the issuer itself is a loopback http
// URL; an https issuer's endpoints are https.
net::PlainHttp discovered_plain_http(const ProviderConfig& p) {
    const bool loopback_http_issuer =
        p.issuer.starts_with("http://") && !net::endpoint_url_problem(p.issuer, net::PlainHttp::loopback);
    return loopback_http_issuer ? net::PlainHttp::loopback : net::PlainHttp::refused;
}

// `where`: "discovery at URL". A field that is absent, empty or not a string
// is not offered.
Result<void> read_discovered_urls(const json::object& o, const std::string& where, net::PlainHttp plain_http,
                                  Endpoints& e) {
    for (const auto& f : k_url_fields) {
        std::string value = json_string(o, f.key);
        if (value.empty()) continue;
        if (auto problem = net::endpoint_url_problem(value, plain_http)) {
            return make_error(Errc::provider_unavailable, where + ": " + std::string(f.key) + ": " + *problem + ": " +
                                                              net::quoted_for_message(value));
        }
        e.*f.endpoint = std::move(value);
    }
    return {};
}

// Explicit endpoints override discovery. The config checked them when it was
// loaded; the CLI's copy came over credd's socket, so they are checked again.
Result<void> override_with_configured(const ProviderConfig& p, Endpoints& e) {
    for (const auto& f : k_url_fields) {
        const std::string& value = p.*f.configured;
        if (value.empty()) continue;
        if (auto problem = net::endpoint_url_problem(value, net::PlainHttp::loopback)) {
            return make_error(Errc::bad_request, "provider " + p.name + ": " + std::string(f.key) + ": " + *problem +
                                                     ": " + net::quoted_for_message(value));
        }
        e.*f.endpoint = value;
    }
    return {};
}

}  // namespace

bool needs_discovery(const ProviderConfig& p) {
    return !p.issuer.empty() && (p.authorization_endpoint.empty() || p.token_endpoint.empty());
}

http::Request discovery_request(const ProviderConfig& p) {
    std::string base = p.issuer;
    while (!base.empty() && base.back() == '/') base.pop_back();
    http::Request req;
    req.url = base + "/.well-known/openid-configuration";
    req.headers = {{"Accept", "application/json"}};
    return req;
}

Attempt<Endpoints> interpret_discovery(const ProviderConfig& p, const std::string& url,
                                       const Attempt<http::Response>& out) {
    Endpoints e;
    e.issuer = p.issuer;
    if (!url.empty()) {
        if (!out.result) return {out.result.error(), out.retryable};
        const auto& res = out.result;
        if (res->status != 200) {
            return {make_error(Errc::provider_unavailable,
                               "discovery at " + url + " answered HTTP " + std::to_string(res->status)),
                    res->status >= 500 || res->status == 429};
        }
        auto o = parse_document(res->body, url);
        if (!o) return {o.error(), false};
        if (json_string(*o, "issuer") != p.issuer) {
            // OpenID Connect Discovery §4.3: the issuer must match exactly.
            return {make_error(Errc::provider_unavailable, "discovery at " + url + " names another issuer: " +
                                                               net::quoted_for_message(json_string(*o, "issuer"))),
                    false};
        }
        if (auto r = read_discovered_urls(*o, "discovery at " + url, discovered_plain_http(p), e); !r) {
            return {r.error(), false};
        }
        if (const auto* v = o->if_contains("authorization_response_iss_parameter_supported")) {
            e.iss_parameter_supported = v->is_bool() && v->as_bool();
        }
    }
    if (auto r = override_with_configured(p, e); !r) return {r.error(), false};
    if (e.authorization_endpoint.empty() || e.token_endpoint.empty()) {
        return {
            make_error(Errc::provider_unavailable, "provider " + p.name + " has no authorization or token endpoint"),
            false};
    }
    return {e, false};
}

}  // namespace credctl::oauth
