// The OpenID Connect checks of a login, apart from the exchanges that
// fetch what they check: the ID token's issuer, audience, nonce and expiry
// (OpenID Connect Core §3.1.3.7) and the authorization response's `iss`
// (RFC 9207), which tells a mix-up attack (the answer of another provider
// replayed to our redirect) apart from a real answer.
//
// Used by the CLI's login command. Thread-safety: pure functions; "now" is a
// parameter so that the expiry check is deterministic.
#pragma once

#include "common/config/provider.hpp"
#include "common/error/error.hpp"
#include "common/oauth/oauth_client.hpp"

#include <chrono>
#include <string>
#include <string_view>

namespace credctl::oauth {

// How far an ID token's `exp` may lie in the past and still be accepted:
// the CLI's clock and the provider's need not agree to the second.
constexpr std::chrono::seconds k_id_token_clock_skew{60};

// Checks the ID token of `tokens` (from the token endpoint of `endpoints`)
// and returns its subject. Refused, as provider_unavailable: no ID token, an
// undecodable one, an issuer other than endpoints.issuer (when one is
// known), an audience without provider.client_id, a nonce other than
// `nonce` (when one was sent; compared in constant time), an `exp` that is
// missing or more than k_id_token_clock_skew before `now`.
[[nodiscard]] Result<std::string> check_id_token(const TokenSet& tokens, const Endpoints& endpoints,
                                                 const ProviderConfig& provider, std::string_view nonce,
                                                 std::chrono::system_clock::time_point now);

// RFC 9207 §2.4: the `iss` of an authorization response (empty when the
// response had none) must be endpoints.issuer when the provider advertises
// authorization_response_iss_parameter_supported; an `iss` that is present
// is checked even where it is not advertised. Nothing is checked when no
// issuer is known. Refused as login_required, naming both issuers.
[[nodiscard]] Result<void> check_response_issuer(const Endpoints& endpoints, std::string_view iss);

}  // namespace credctl::oauth
