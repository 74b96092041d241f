#include "common/oauth/oidc_checks.hpp"

#include <sodium.h>

#include <algorithm>

namespace credctl::oauth {
namespace {

bool same_secret(std::string_view a, std::string_view b) {
    return a.size() == b.size() && sodium_memcmp(a.data(), b.data(), a.size()) == 0;
}

Result<void> check_expiry(const IdTokenClaims& claims, std::chrono::system_clock::time_point now) {
    // OpenID Connect Core §2: exp is REQUIRED; §3.1.3.7 item 9: the current
    // time must be before it.
    if (!claims.expires_at) return make_error(Errc::provider_unavailable, "ID token has no valid exp claim");
    const auto now_s = std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
    // Compared without adding to `exp`, which the provider chooses up to
    // INT64_MAX: the sum would overflow.
    if (*claims.expires_at < now_s - k_id_token_clock_skew.count()) {
        return make_error(Errc::provider_unavailable, "ID token expired at " + std::to_string(*claims.expires_at) +
                                                          " (now " + std::to_string(now_s) + ")");
    }
    return {};
}

}  // namespace

Result<std::string> check_id_token(const TokenSet& t, const Endpoints& e, const ProviderConfig& p,
                                   std::string_view nonce, std::chrono::system_clock::time_point now) {
    if (t.id_token.empty()) {
        return make_error(Errc::provider_unavailable, "provider returned no ID token for scope openid");
    }
    auto claims = parse_id_token_claims(t.id_token);
    if (!claims) return claims.error();
    if (!e.issuer.empty() && claims->issuer != e.issuer) {
        return make_error(Errc::provider_unavailable, "ID token issuer \"" + claims->issuer + "\" is not " + e.issuer);
    }
    if (std::find(claims->audience.begin(), claims->audience.end(), p.client_id) == claims->audience.end()) {
        return make_error(Errc::provider_unavailable, "ID token is not addressed to client " + p.client_id);
    }
    if (!nonce.empty() && !same_secret(claims->nonce, nonce)) {
        return make_error(Errc::provider_unavailable, "ID token nonce does not match this login");
    }
    if (auto fresh = check_expiry(*claims, now); !fresh) return fresh.error();
    return claims->subject;
}

Result<void> check_response_issuer(const Endpoints& e, std::string_view iss) {
    if (e.issuer.empty()) return {};
    if ((e.iss_parameter_supported || !iss.empty()) && iss != e.issuer) {
        return make_error(Errc::login_required,
                          "authorization response names issuer \"" + std::string(iss) + "\", expected " + e.issuer);
    }
    return {};
}

}  // namespace credctl::oauth
