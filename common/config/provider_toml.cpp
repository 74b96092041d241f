#include "common/config/provider_toml.hpp"

#include "common/net/endpoint_url.hpp"

#include <boost/url/parse.hpp>

#include <sys/stat.h>

#include <algorithm>
#include <utility>

namespace credctl::config {
namespace {

// Reads a URL-valued key into `out`; only https URLs, or plain http to a
// loopback host (credctl.toml(5) [providers.NAME]), are accepted. Endpoints
// learnt by discovery are held to the same rule, more strictly
// (common/net/endpoint_url.hpp).
Result<void> read_url(const Fields& f, std::string_view key, std::string& out) {
    auto v = f.string(key);
    if (!v) return v.error();
    if (!*v) return {};
    const std::string& s = **v;
    if (auto problem = net::endpoint_url_problem(s, net::PlainHttp::loopback)) {
        return f.error_at(key, *problem + ": " + net::quoted_for_message(s));
    }
    out = s;
    return {};
}

// RFC 8707 §2: a resource indicator is an absolute URI without a fragment. It
// names a resource server and is never connected to, so any scheme will do.
Result<void> read_resource(const Fields& f, std::string& out) {
    auto v = f.string("resource");
    if (!v) return v.error();
    if (!*v) return {};
    if (!boost::urls::parse_absolute_uri(**v)) {
        return f.error_at("resource", "not an absolute URI without a fragment (RFC 8707): \"" + **v + "\"");
    }
    out = **v;
    return {};
}

// client_secret_file (owner-only regular file) and client_auth; a secret
// file alone means client_secret_basic, and any other method than none needs one.
Result<void> read_client_auth(const Fields& f, ProviderConfig& p) {
    auto secret_file = f.path("client_secret_file");
    if (!secret_file) return secret_file.error();
    if (*secret_file) {
        p.client_secret_file = **secret_file;
        p.client_auth = ClientAuth::client_secret_basic;
        // Checked again at each read; refusing here makes a bad file a start-up error.
        struct stat st {};
        if (::stat(p.client_secret_file.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) {
            return f.error_at("client_secret_file", "not a readable file: \"" + p.client_secret_file + "\"");
        }
        if ((st.st_mode & 077) != 0) {
            return f.error_at("client_secret_file", "readable by group or others: \"" + p.client_secret_file + "\"");
        }
    }
    auto auth = f.string("client_auth");
    if (!auth) return auth.error();
    if (*auth) {
        const auto named = parse_client_auth(**auth);
        if (!named) {
            return f.error_at("client_auth",
                              "not one of none, client_secret_basic, client_secret_post: \"" + **auth + "\"");
        }
        p.client_auth = *named;
    }
    if (p.client_auth != ClientAuth::none && p.client_secret_file.empty()) {
        return f.error_at("client_auth", "needs client_secret_file");
    }
    return {};
}

Result<ProviderConfig> read_timeouts(const Fields& f, ProviderConfig p) {
    struct Key {
        std::string_view key;
        std::chrono::seconds* field;
        std::int64_t min, max;
    };
    for (const auto& k :
         {Key{"connect_timeout_seconds", &p.connect_timeout, 1, 300}, Key{"timeout_seconds", &p.timeout, 1, 600},
          Key{"retry_deadline_seconds", &p.retry_deadline, 1, 3600}}) {
        auto v = f.integer(k.key, k.min, k.max);
        if (!v) return v.error();
        if (*v) *k.field = std::chrono::seconds(**v);
    }
    return p;
}

// keep_alive_days, in days (a fraction of one allowed, so that a short
// idle timeout can be matched); whole seconds, at least one when set.
Result<ProviderConfig> read_keep_alive(const Fields& f, ProviderConfig p) {
    auto days = f.number("keep_alive_days", 0, k_max_keep_alive_days);
    if (!days) return days.error();
    if (*days && **days > 0) {
        // Rounded by hand: std::llround would pull libm into credctl, which
        // loads nothing but glibc (cli/CMakeLists.txt).
        const auto s = static_cast<std::int64_t>(**days * 86400 + 0.5);
        p.keep_alive = std::chrono::seconds(std::max<std::int64_t>(s, 1));
    }
    return p;
}

}  // namespace

const std::vector<std::string_view>& provider_keys() {
    static const std::vector<std::string_view> keys{"issuer",
                                                    "authorization_endpoint",
                                                    "token_endpoint",
                                                    "revocation_endpoint",
                                                    "device_authorization_endpoint",
                                                    "client_id",
                                                    "client_auth",
                                                    "client_secret_file",
                                                    "scopes",
                                                    "redirect_port",
                                                    "ca_file",
                                                    "resource",
                                                    "default",
                                                    "connect_timeout_seconds",
                                                    "timeout_seconds",
                                                    "retry_deadline_seconds",
                                                    "keep_alive_days"};
    return keys;
}

Result<ProviderConfig> parse_provider(const Fields& f, const std::string& name) {
    if (auto r = f.only(provider_keys()); !r) return r.error();
    ProviderConfig p;
    p.name = name;
    for (auto [key, field] :
         {std::pair{"issuer", &p.issuer}, std::pair{"authorization_endpoint", &p.authorization_endpoint},
          std::pair{"token_endpoint", &p.token_endpoint}, std::pair{"revocation_endpoint", &p.revocation_endpoint},
          std::pair{"device_authorization_endpoint", &p.device_authorization_endpoint}}) {
        if (auto r = read_url(f, key, *field); !r) return r.error();
    }
    if (auto r = read_resource(f, p.resource); !r) return r.error();
    if (p.issuer.empty() && (p.authorization_endpoint.empty() || p.token_endpoint.empty())) {
        return f.error_at("issuer", "needs either issuer or both authorization_endpoint and token_endpoint");
    }
    auto client_id = f.string("client_id");
    if (!client_id) return client_id.error();
    if (!*client_id || (*client_id)->empty()) return f.error_at("client_id", "is required");
    p.client_id = **client_id;

    if (auto r = read_client_auth(f, p); !r) return r.error();
    auto scopes = f.strings("scopes");
    if (!scopes) return scopes.error();
    if (*scopes) p.scopes = std::move(**scopes);
    auto port = f.integer("redirect_port", 0, 65535);
    if (!port) return port.error();
    if (*port) p.redirect_port = static_cast<std::uint16_t>(**port);
    auto ca = f.path("ca_file");
    if (!ca) return ca.error();
    if (*ca) p.ca_file = **ca;
    auto is_default = f.boolean("default");
    if (!is_default) return is_default.error();
    p.is_default = is_default->value_or(false);
    auto timed = read_timeouts(f, p);
    if (!timed) return timed.error();
    return read_keep_alive(f, std::move(*timed));
}

}  // namespace credctl::config
