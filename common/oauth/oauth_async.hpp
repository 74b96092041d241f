// Coroutine versions of the provider calls credd makes (discovery, refresh,
// revocation), on the caller's executor, so that no thread blocks on a
// provider. Built from the request and answer pieces of oauth_client.hpp.
//
// Used by credd's Upstream. Thread-safety: each call runs on the executor
// that awaits it; arguments must outlive the co_await.
#pragma once

#include "common/oauth/oauth_client.hpp"

#include <boost/asio/awaitable.hpp>

#include <string>
#include <vector>

namespace credctl::oauth {

[[nodiscard]] boost::asio::awaitable<Attempt<Endpoints>> async_discover(const ProviderConfig& provider,
                                                                        const http::Options& options);

// Refresh grant (RFC 6749 §6). `scopes` empty: the scope of the original
// grant. Retryable: transport failures, timeouts, HTTP 5xx and 429; never
// invalid_grant, which is login_required.
[[nodiscard]] boost::asio::awaitable<Attempt<TokenSet>> async_refresh(const Endpoints& endpoints,
                                                                      const ProviderConfig& provider,
                                                                      const SecretBytes& refresh_token,
                                                                      const std::vector<std::string>& scopes,
                                                                      const http::Options& options);

// RFC 7009 revocation of a refresh token (which, per §2.1, also ends the
// access tokens of its grant at providers that support that). Errors:
// not_found when the provider offers no revocation endpoint;
// provider_unavailable when it cannot be reached or refuses.
[[nodiscard]] boost::asio::awaitable<Result<void>> async_revoke(const Endpoints& endpoints,
                                                                const ProviderConfig& provider,
                                                                const SecretBytes& refresh_token,
                                                                const http::Options& options);

}  // namespace credctl::oauth
