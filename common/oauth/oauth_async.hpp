// The exchanges with a provider, as coroutines on the caller's executor, so
// that no thread blocks on a provider: discovery, the code exchange, the
// refresh and the revocation (the device flow's are in device_flow.hpp).
// Built from the request and answer pieces of oauth_client.hpp.
//
// Used by credd's Upstream, and by the CLI's login through run_blocking().
// Thread-safety: each call runs on the executor that awaits it; arguments
// must outlive the co_await.
#pragma once

#include "common/oauth/oauth_client.hpp"

#include <boost/asio/awaitable.hpp>

#include <string>
#include <string_view>
#include <vector>

namespace credctl::oauth {

// POSTs a form to `url` with the provider's client authentication
// (form_request()); the form and the request are SecretStrings. Over
// `*connection` when it was opened for `url`'s origin (http::async_connect;
// the exchange takes it).
[[nodiscard]] boost::asio::awaitable<Attempt<http::Response>> async_post_form(const std::string& url,
                                                                              const ProviderConfig& provider,
                                                                              SecretString form,
                                                                              const http::Options& options,
                                                                              http::Connection* connection = nullptr);

// Provider metadata, from discovery when `issuer` is configured; retryable
// on transport failures, 5xx and 429.
[[nodiscard]] boost::asio::awaitable<Attempt<Endpoints>> async_discover(const ProviderConfig& provider,
                                                                        const http::Options& options);

// The authorization-code grant with PKCE (RFC 6749 §4.1.3, RFC 7636 §4.5).
[[nodiscard]] boost::asio::awaitable<Result<TokenSet>> async_exchange_code(
    const Endpoints& endpoints, const ProviderConfig& provider, std::string_view code, std::string_view redirect_uri,
    std::string_view code_verifier, const http::Options& options);

// Refresh grant (RFC 6749 §6). `scopes` empty: the scope of the original
// grant. Retryable: transport failures, timeouts, HTTP 5xx and 429; never
// invalid_grant, which is login_required. Over `*connection` when it was
// opened for the token endpoint (http::async_connect; the exchange takes it).
[[nodiscard]] boost::asio::awaitable<Attempt<TokenSet>> async_refresh(
    const Endpoints& endpoints, const ProviderConfig& provider, const SecretBytes& refresh_token,
    const std::vector<std::string>& scopes, const http::Options& options, http::Connection* connection = nullptr);

// RFC 7009 revocation of a refresh token (which, per §2.1, also ends the
// access tokens of its grant at providers that support that). Errors:
// not_found when the provider offers no revocation endpoint;
// provider_unavailable when it cannot be reached or refuses.
[[nodiscard]] boost::asio::awaitable<Result<void>> async_revoke(const Endpoints& endpoints,
                                                                const ProviderConfig& provider,
                                                                const SecretBytes& refresh_token,
                                                                const http::Options& options);

}  // namespace credctl::oauth
