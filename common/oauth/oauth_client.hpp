// OAuth 2.0 / OpenID Connect client operations used by both programs:
// discovery (OpenID Connect Discovery, RFC 8414), PKCE S256 (RFC 7636),
// the authorization request for a loopback redirect (RFC 8252 §7.3), the
// authorization-code exchange and the refresh grant (RFC 6749 §4.1, §6).
//
// Token values come back as SecretBytes and response bodies are zeroed after
// parsing. Provider errors map onto the one error model: `invalid_grant` on a
// refresh becomes login_required; transport failures, 5xx and garbage become
// provider_unavailable. Messages never contain token values.
//
// Thread-safety: all functions are reentrant; each HTTP call blocks.
#pragma once

#include "common/config/provider.hpp"
#include "common/error/error.hpp"
#include "common/oauth/http_client.hpp"
#include "common/secret/secret_bytes.hpp"

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace credctl::oauth {

// Endpoints of one provider after discovery and explicit overrides.
struct Endpoints {
    std::string issuer;
    std::string authorization_endpoint;
    std::string token_endpoint;
    std::string revocation_endpoint;
    bool iss_parameter_supported = false;  // RFC 9207
};

struct Pkce {
    std::string verifier;   // secret until the code exchange
    std::string challenge;  // BASE64URL(SHA256(verifier))
};

struct TokenSet {
    SecretBytes access_token;
    SecretBytes refresh_token;  // empty when the provider did not rotate it
    std::string token_type;
    std::int64_t expires_in = 0;  // seconds; 0 when the provider gave none
    std::string scope;
    std::string id_token;
};

struct IdTokenClaims {
    std::string issuer;
    std::string subject;
    std::string nonce;
    std::vector<std::string> audience;
};

// Provider metadata, from discovery when `issuer` is configured.
[[nodiscard]] Result<Endpoints> discover(const ProviderConfig& provider, const http::Options& options);

[[nodiscard]] Pkce make_pkce();

[[nodiscard]] std::string authorization_url(const Endpoints& endpoints, const ProviderConfig& provider,
                                            std::string_view redirect_uri, std::string_view state,
                                            std::string_view nonce, std::string_view code_challenge);

[[nodiscard]] Result<TokenSet> exchange_code(const Endpoints& endpoints, const ProviderConfig& provider,
                                             std::string_view code, std::string_view redirect_uri,
                                             std::string_view code_verifier, const http::Options& options);

// Refresh grant. `scopes` empty: the scope of the original grant.
[[nodiscard]] Result<TokenSet> refresh(const Endpoints& endpoints, const ProviderConfig& provider,
                                       const SecretBytes& refresh_token, const std::vector<std::string>& scopes,
                                       const http::Options& options);

// Parses a token endpoint response (RFC 6749 §5.1, §5.2). `for_refresh`
// turns invalid_grant into login_required. Exposed for unit and fuzz tests.
[[nodiscard]] Result<TokenSet> parse_token_response(int status, std::string_view body, bool for_refresh);

// Decodes the claims of an ID token received directly from the token
// endpoint over TLS or loopback (OpenID Connect Core §3.1.3.7 lets the TLS
// server check stand in for the signature check in the code flow).
[[nodiscard]] Result<IdTokenClaims> parse_id_token_claims(std::string_view id_token);

// Reads a client secret file, refusing one that group or others can read.
[[nodiscard]] Result<SecretBytes> read_client_secret(const std::string& path);

}  // namespace credctl::oauth
