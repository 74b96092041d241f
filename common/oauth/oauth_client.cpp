#include "common/oauth/oauth_client.hpp"

#include "common/crypto/crypto.hpp"
#include "common/net/endpoint_url.hpp"
#include "common/oauth/form.hpp"
#include "common/secret/secret_json.hpp"

#include <fcntl.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>
#include <boost/url/parse.hpp>
#include <boost/url/url.hpp>

namespace credctl::oauth {
namespace {

namespace json = boost::json;

// Days-long access tokens are suspicious; years-long ones are nonsense.
constexpr std::int64_t k_max_expires_in_seconds = 366LL * 24 * 3600;
constexpr std::size_t k_max_secret_file_bytes = 4096;

std::string join(const std::vector<std::string>& parts, char sep) {
    std::string out;
    for (const auto& p : parts) {
        if (!out.empty()) out.push_back(sep);
        out += p;
    }
    return out;
}

std::string json_string(const json::object& o, std::string_view key) {
    if (const auto* v = o.if_contains(key); v != nullptr && v->is_string()) return std::string(v->as_string());
    return {};
}

// A NumericDate claim (RFC 7519 §2), which may carry a fraction.
std::optional<std::int64_t> numeric_date(const json::object& o, std::string_view key) {
    const auto* v = o.if_contains(key);
    if (v == nullptr) return std::nullopt;
    if (v->is_int64()) return v->as_int64();
    if (v->is_double() && v->as_double() >= 0 && v->as_double() < 1e15)
        return static_cast<std::int64_t>(v->as_double());
    return std::nullopt;
}

// Parsed into zeroing storage: the object may hold tokens.
Result<json::object> parse_object(std::string_view body, std::string_view what) {
    boost::system::error_code ec;
    json::value v = parse_secret_json(body, ec);
    if (ec || !v.is_object()) {
        return make_error(Errc::provider_unavailable, std::string(what) + " is not a JSON object");
    }
    return std::move(v.as_object());
}

}  // namespace

Result<http::Request> form_request(const std::string& url, const ProviderConfig& p, SecretString form) {
    http::Request req;
    req.method = "POST";
    req.url = url;
    // GitHub-style providers answer form-encoded unless asked for JSON.
    req.headers = {{"Content-Type", "application/x-www-form-urlencoded"}, {"Accept", "application/json"}};
    if (p.client_auth == ClientAuth::none) {
        form += "&client_id=";
        http::append_form_encoded(form, p.client_id);
    } else {
        auto secret = read_client_secret(p.client_secret_file);
        if (!secret) return secret.error();
        if (p.client_auth == ClientAuth::client_secret_post) {
            form += "&client_id=";
            http::append_form_encoded(form, p.client_id);
            form += "&client_secret=";
            http::append_form_encoded(form, secret->reveal());
        } else {
            // RFC 6749 §2.3.1: both parts form-encoded before base64.
            SecretString pair;
            http::append_form_encoded(pair, p.client_id);
            pair += ':';
            http::append_form_encoded(pair, secret->reveal());
            const std::string_view prefix = "Basic ";
            SecretString header(prefix.size() + sodium_base64_encoded_len(pair.size(), sodium_base64_VARIANT_ORIGINAL),
                                '\0');
            header.replace(0, prefix.size(), prefix);
            sodium_bin2base64(header.data() + prefix.size(), header.size() - prefix.size(),
                              reinterpret_cast<const unsigned char*>(pair.data()), pair.size(),
                              sodium_base64_VARIANT_ORIGINAL);
            header.pop_back();  // the terminating NUL sodium_bin2base64 writes
            req.headers.emplace_back("Authorization", std::move(header));
        }
    }
    req.body = std::move(form);
    return req;
}

Attempt<TokenSet> interpret_token_answer(Attempt<http::Response> outcome, bool for_refresh, std::string_view resource) {
    if (!outcome.result) return {outcome.result.error(), outcome.retryable};
    auto& res = *outcome.result;
    if (res.status >= 300 && res.status < 400) {
        return {make_error(Errc::provider_unavailable, "token endpoint answered HTTP " + std::to_string(res.status) +
                                                           " redirecting to \"" + res.location +
                                                           "\"; redirects are not followed"),
                false};
    }
    const bool retry = res.status >= 500 || res.status == 429;
    return {parse_token_response(res.status, res.body, for_refresh, resource), retry};
}

Pkce make_pkce() {
    Pkce p;
    p.verifier = crypto::random_secret(32);  // 43 characters, RFC 7636 §4.1
    p.challenge = crypto::base64url_encode(crypto::sha256(p.verifier));
    return p;
}

Result<std::string> authorization_url(const Endpoints& e, const ProviderConfig& p, std::string_view redirect_uri,
                                      std::string_view state, std::string_view nonce, std::string_view code_challenge) {
    auto parsed = boost::urls::parse_absolute_uri(e.authorization_endpoint);
    if (!parsed) {
        return make_error(Errc::provider_unavailable, "authorization endpoint is not a valid URL: " +
                                                          net::quoted_for_message(e.authorization_endpoint));
    }
    boost::urls::url u(*parsed);
    auto params = u.params();
    params.append({"response_type", "code"});
    params.append({"client_id", p.client_id});
    params.append({"redirect_uri", redirect_uri});
    if (!p.scopes.empty()) params.append({"scope", join(p.scopes, ' ')});
    params.append({"state", state});
    if (!nonce.empty()) params.append({"nonce", nonce});
    params.append({"code_challenge", code_challenge});
    params.append({"code_challenge_method", "S256"});
    if (!p.resource.empty()) params.append({"resource", p.resource});  // RFC 8707 §2.1
    return std::string(u.buffer());
}

void append_resource(SecretString& form, const ProviderConfig& p) {
    if (p.resource.empty()) return;
    form += "&resource=";
    http::append_form_encoded(form, p.resource);
}

Error resource_refused(std::string_view where, std::string_view resource) {
    if (resource.empty()) {
        return make_error(Errc::login_required, std::string(where) +
                                                    " refused the request: invalid_target (RFC 8707: the provider "
                                                    "wants a resource indicator; set resource in credd.toml)");
    }
    return make_error(Errc::login_required, std::string(where) + " refused resource \"" + std::string(resource) +
                                                "\" (invalid_target, RFC 8707): the provider does not know it, or "
                                                "this login was not granted for it");
}

SecretString code_exchange_form(const ProviderConfig& p, std::string_view code, std::string_view redirect_uri,
                                std::string_view code_verifier) {
    SecretString form("grant_type=authorization_code&code=");
    http::append_form_encoded(form, code);
    form += "&redirect_uri=";
    http::append_form_encoded(form, redirect_uri);
    form += "&code_verifier=";
    http::append_form_encoded(form, code_verifier);
    append_resource(form, p);
    return form;
}

SecretString refresh_form(const ProviderConfig& p, const SecretBytes& refresh_token,
                          const std::vector<std::string>& scopes) {
    SecretString form("grant_type=refresh_token&refresh_token=");
    http::append_form_encoded(form, refresh_token.reveal());
    if (!scopes.empty()) {
        form += "&scope=";
        http::append_form_encoded(form, join(scopes, ' '));
    }
    append_resource(form, p);
    return form;
}

SecretString revocation_form(const SecretBytes& refresh_token) {
    SecretString form("token=");
    http::append_form_encoded(form, refresh_token.reveal());
    form += "&token_type_hint=refresh_token";
    return form;
}

Result<void> interpret_revocation(const Endpoints& e, Attempt<http::Response> out) {
    if (!out.result) return out.result.error();
    // RFC 7009 §2.2: 200 whether or not the token was still valid.
    if (out.result->status != 200) {
        return make_error(Errc::provider_unavailable, "revocation endpoint " + e.revocation_endpoint +
                                                          " answered HTTP " + std::to_string(out.result->status));
    }
    return {};
}

Result<TokenSet> parse_token_response(int status, std::string_view body, bool for_refresh, std::string_view resource) {
    if (status >= 500) {
        return make_error(Errc::provider_unavailable, "token endpoint answered HTTP " + std::to_string(status));
    }
    boost::system::error_code ec;
    json::value v = parse_secret_json(body, ec);
    if (ec || !v.is_object()) {
        return make_error(Errc::provider_unavailable,
                          "token endpoint answered HTTP " + std::to_string(status) + " with a body that is not JSON");
    }
    auto& o = v.as_object();
    if (status != 200 || o.contains("error")) {
        std::string err = json_string(o, "error");
        if (err.empty()) err = "HTTP " + std::to_string(status);
        if (err == "invalid_target") return resource_refused("token endpoint", resource);
        const Errc code = (for_refresh && err == "invalid_grant") ? Errc::login_required : Errc::provider_unavailable;
        std::string msg = "token endpoint refused the request: " + err;
        if (code == Errc::login_required) msg = "token endpoint refused the refresh token: " + err;
        return make_error(code, std::move(msg));
    }
    TokenSet t;
    auto* access = o.if_contains("access_token");
    if (access == nullptr || !access->is_string() || access->as_string().empty()) {
        return make_error(Errc::provider_unavailable, "token endpoint response has no access_token");
    }
    t.token_type = json_string(o, "token_type");
    if (t.token_type.empty()) t.token_type = "Bearer";
    for (auto& ch : t.token_type) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    if (t.token_type != "bearer") {
        return make_error(Errc::provider_unavailable, "token endpoint returned an unsupported token_type: \"" +
                                                          json_string(o, "token_type") + "\"");
    }
    t.token_type = "Bearer";
    if (const auto* exp = o.if_contains("expires_in"); exp != nullptr) {
        if (!exp->is_int64() || exp->as_int64() < 0 || exp->as_int64() > k_max_expires_in_seconds) {
            return make_error(Errc::provider_unavailable, "token endpoint returned an invalid expires_in");
        }
        t.expires_in = exp->as_int64();
    }
    t.access_token = SecretBytes::from(access->as_string());
    if (const auto* r = o.if_contains("refresh_token"); r != nullptr && r->is_string()) {
        t.refresh_token = SecretBytes::from(r->as_string());
    }
    if (const auto* scope = o.if_contains("scope"); scope != nullptr && scope->is_string()) {
        t.scope = std::string(scope->as_string());
    }
    if (const auto* id = o.if_contains("id_token"); id != nullptr && id->is_string()) {
        t.id_token = std::string_view(id->as_string());
    }
    return t;
}

Result<IdTokenClaims> parse_id_token_claims(std::string_view id_token) {
    const auto first = id_token.find('.');
    const auto second = first == std::string_view::npos ? first : id_token.find('.', first + 1);
    if (second == std::string_view::npos) return make_error(Errc::provider_unavailable, "ID token is not a JWT");
    auto payload = crypto::base64url_decode(id_token.substr(first + 1, second - first - 1));
    if (!payload) return make_error(Errc::provider_unavailable, "ID token payload is not base64url");
    auto o = parse_object(*payload, "ID token payload");
    if (!o) return o.error();
    IdTokenClaims c;
    c.issuer = json_string(*o, "iss");
    c.subject = json_string(*o, "sub");
    c.nonce = json_string(*o, "nonce");
    c.expires_at = numeric_date(*o, "exp");
    if (const auto* aud = o->if_contains("aud")) {
        if (aud->is_string()) c.audience.emplace_back(aud->as_string());
        if (aud->is_array()) {
            for (const auto& a : aud->as_array()) {
                if (a.is_string()) c.audience.emplace_back(a.as_string());
            }
        }
    }
    return c;
}

Result<SecretBytes> read_client_secret(const std::string& path) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0) return make_error(Errc::internal, "cannot open client secret file " + path);
    struct stat st {};
    if (::fstat(fd, &st) != 0 || (st.st_mode & 077) != 0) {
        ::close(fd);
        return make_error(Errc::internal, "client secret file " + path + " is readable by group or others");
    }
    // One byte more than allowed, so that an oversized file is noticed
    // instead of silently cut into a wrong secret.
    auto buf = SecretBytes::zeroed(k_max_secret_file_bytes + 1);
    const ssize_t n = ::read(fd, buf.data(), buf.size());
    ::close(fd);
    if (n <= 0) return make_error(Errc::internal, "cannot read client secret file " + path);
    if (static_cast<std::size_t>(n) > k_max_secret_file_bytes) {
        return make_error(Errc::internal, "client secret file " + path + " is larger than " +
                                              std::to_string(k_max_secret_file_bytes) + " bytes");
    }
    auto len = static_cast<std::size_t>(n);
    while (len > 0 && (buf.data()[len - 1] == '\n' || buf.data()[len - 1] == '\r')) --len;
    return SecretBytes(buf.data(), len);
}

}  // namespace credctl::oauth
