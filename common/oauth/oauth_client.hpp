// OAuth 2.0 / OpenID Connect client operations used by both programs:
// discovery (OpenID Connect Discovery, RFC 8414), PKCE S256 (RFC 7636),
// the authorization request for a loopback redirect (RFC 8252 §7.3), the
// authorization-code exchange and the refresh grant (RFC 6749 §4.1, §6).
//
// A provider's `resource` (RFC 8707) goes with the authorization request,
// the code exchange, the refresh and both device-flow requests.
//
// Token values come back as SecretBytes; forms, request and response bodies
// and the JSON they are parsed into are SecretStrings and zeroing storage
// (common/secret), so no copy of a grant or a token is freed unzeroed. Provider errors map onto the one error model:
// `invalid_grant` on a refresh and `invalid_target` anywhere become login_required; transport failures, 5xx and garbage
// become provider_unavailable. Messages never contain token values.
//
// The exchanges themselves are coroutines, in oauth_async.hpp; this header
// holds the pieces they are built from, the values they return, and what
// needs no provider at all. Discovery's pieces and the Endpoints it gives
// are in discovery.hpp.
// Thread-safety: all functions are reentrant; read_client_secret and
// form_request read the client secret file, make_pkce the random source.
#pragma once

#include "common/config/provider.hpp"
#include "common/error/error.hpp"
#include "common/oauth/discovery.hpp"
#include "common/oauth/http_client.hpp"
#include "common/secret/secret_bytes.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace credctl::oauth {

struct Pkce {
    SecretString verifier;  // secret until the code exchange
    std::string challenge;  // BASE64URL(SHA256(verifier))
};

struct TokenSet {
    SecretBytes access_token;
    SecretBytes refresh_token;  // empty when the provider did not rotate it
    std::string token_type;
    std::int64_t expires_in = 0;  // seconds; 0 when the provider gave none
    // Absent when the provider gave none: then the scope is the one asked
    // for (RFC 6749 §5.1). Present and empty: no scope at all was granted.
    std::optional<std::string> scope;
    SecretString id_token;
};

struct IdTokenClaims {
    std::string issuer;
    std::string subject;
    std::string nonce;
    std::vector<std::string> audience;
    std::optional<std::int64_t> expires_at;  // `exp`, seconds since the epoch; absent: none given
};

[[nodiscard]] Pkce make_pkce();

// The authorization request (RFC 6749 §4.1.1, RFC 7636 §4.3) as the URL the
// browser opens. Error (provider_unavailable): the authorization endpoint is
// not a valid absolute URL; interpret_discovery lets no such one through.
[[nodiscard]] Result<std::string> authorization_url(const Endpoints& endpoints, const ProviderConfig& provider,
                                                    std::string_view redirect_uri, std::string_view state,
                                                    std::string_view nonce, std::string_view code_challenge);

// The pieces of the exchanges in oauth_async.hpp: request building
// (form_request adds the provider's client authentication, RFC 6749 §2.3:
// none adds client_id, client_secret_post adds both to the form,
// client_secret_basic uses the Authorization header) and answer
// interpretation.
[[nodiscard]] Result<http::Request> form_request(const std::string& url, const ProviderConfig& provider,
                                                 SecretString form);
[[nodiscard]] SecretString code_exchange_form(const ProviderConfig& provider, std::string_view code,
                                              std::string_view redirect_uri, std::string_view code_verifier);
[[nodiscard]] SecretString refresh_form(const ProviderConfig& provider, const SecretBytes& refresh_token,
                                        const std::vector<std::string>& scopes);
[[nodiscard]] SecretString revocation_form(const SecretBytes& refresh_token);
// Appends "&resource=..." (RFC 8707 §2) to a form when the provider has one.
void append_resource(SecretString& form, const ProviderConfig& provider);
// The error for an `invalid_target` answer (RFC 8707 §2) from `where` (e.g.
// "token endpoint") to a request that carried `resource` (may be empty):
// login_required, since only a new login with a resource the provider
// accepts can fix it.
[[nodiscard]] Error resource_refused(std::string_view where, std::string_view resource);
[[nodiscard]] Result<void> interpret_revocation(const Endpoints& endpoints, Attempt<http::Response> outcome);

// Interprets a token endpoint answer: a redirect is refused (OAuth
// endpoints do not redirect; following one could leak the grant), a 5xx or
// 429 is retryable, anything else goes to parse_token_response.
[[nodiscard]] Attempt<TokenSet> interpret_token_answer(Attempt<http::Response> outcome, bool for_refresh,
                                                       std::string_view resource = {});

// Parses a token endpoint response (RFC 6749 §5.1, §5.2). `for_refresh`
// turns invalid_grant into login_required; invalid_target is
// resource_refused() naming `resource`, the one the request carried.
// Exposed for unit and fuzz tests.
[[nodiscard]] Result<TokenSet> parse_token_response(int status, std::string_view body, bool for_refresh,
                                                    std::string_view resource = {});

// Decodes the claims of an ID token received directly from the token
// endpoint over TLS or loopback (OpenID Connect Core §3.1.3.7 lets the TLS
// server check stand in for the signature check in the code flow).
[[nodiscard]] Result<IdTokenClaims> parse_id_token_claims(std::string_view id_token);

// Reads a client secret file, refusing one that group or others can read.
[[nodiscard]] Result<SecretBytes> read_client_secret(const std::string& path);

}  // namespace credctl::oauth
