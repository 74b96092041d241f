// A provider's endpoints: from OpenID Connect Discovery (or RFC 8414) at its
// issuer, overridden by the ones its config names. Used by the discovery
// exchange (oauth_async.hpp async_discover), which credd runs before its
// first refresh or revocation of a provider and credctl before a login.
//
// Every endpoint a document names is held to the endpoint rule
// (common/net/endpoint_url.hpp) before anything is sent to it: https, or plain
// http to a loopback host under a loopback http issuer only (SPEC §6).
// Thread-safety: pure functions.
#pragma once

#include "common/config/provider.hpp"
#include "common/error/error.hpp"
#include "common/oauth/http_client.hpp"

#include <string>

namespace credctl::oauth {

// Endpoints of one provider after discovery and explicit overrides.
struct Endpoints {
    std::string issuer;
    std::string authorization_endpoint;
    std::string token_endpoint;
    std::string revocation_endpoint;            // RFC 7009; empty: not offered
    std::string device_authorization_endpoint;  // RFC 8628; empty: not offered
    bool iss_parameter_supported = false;       // RFC 9207
};

// Whether the provider has an issuer and lacks an authorization or token
// endpoint of its own.
[[nodiscard]] bool needs_discovery(const ProviderConfig& provider);
// GET {issuer}/.well-known/openid-configuration.
[[nodiscard]] http::Request discovery_request(const ProviderConfig& provider);

// The endpoints from the answer `outcome` to discovery_request at `url`, with
// the provider's explicit endpoints over them; `url` empty: no discovery was
// made, the endpoints come from the config. Errors: provider_unavailable,
// retryable only after a 5xx or 429, for an answer other than 200, a document
// that is not a JSON object, that names another issuer (OpenID Connect
// Discovery §4.3) or an endpoint that breaks the endpoint rule (the message
// names the field and shows the value with control characters escaped), or
// no authorization or token endpoint at all; bad_request for an explicit
// endpoint that breaks the rule of the config.
[[nodiscard]] Attempt<Endpoints> interpret_discovery(const ProviderConfig& provider, const std::string& url,
                                                     const Attempt<http::Response>& outcome);

}  // namespace credctl::oauth
