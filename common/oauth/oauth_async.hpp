// Coroutine versions of the provider calls credd makes (discovery, refresh,
// revocation), on the caller's executor, so that no thread blocks on a
// provider. Same requests, same answers and errors as their blocking twins
// in oauth_client.hpp, built from the same pieces.
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

[[nodiscard]] boost::asio::awaitable<Attempt<TokenSet>> async_refresh(const Endpoints& endpoints,
                                                                      const ProviderConfig& provider,
                                                                      const SecretBytes& refresh_token,
                                                                      const std::vector<std::string>& scopes,
                                                                      const http::Options& options);

[[nodiscard]] boost::asio::awaitable<Result<void>> async_revoke(const Endpoints& endpoints,
                                                                const ProviderConfig& provider,
                                                                const SecretBytes& refresh_token,
                                                                const http::Options& options);

}  // namespace credctl::oauth
