// TokenService: everything credd does with credentials, between the API
// routes and the Store: storing a login, serving access tokens, refreshing
// them at the provider, listing and forgetting credentials.
//
// Refresh is single-flight: while one refresh of a credential is in progress,
// every other caller for it waits on that refresh and gets its result, so the
// provider sees exactly one refresh request. A rotated refresh token is
// committed to the store before any caller gets the new access token.
// Provider HTTP calls run on a small worker pool so that a slow provider never
// blocks the I/O thread or callers of other credentials.
//
// Thread-safety: all public methods are called on the I/O thread.
#pragma once

#include "common/config/provider.hpp"
#include "common/error/error.hpp"
#include "common/wire/wire.hpp"
#include "daemon/store/store.hpp"

#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

namespace boost::asio {
class io_context;
}

namespace credctl::tokens {

struct TokenServiceOptions {
    std::vector<ProviderConfig> providers;
    std::chrono::seconds provider_timeout{15};
    std::size_t worker_threads = 2;
};

class TokenService {
public:
    TokenService(boost::asio::io_context& io, store::Store& store, TokenServiceOptions options);
    ~TokenService();
    TokenService(const TokenService&) = delete;
    TokenService& operator=(const TokenService&) = delete;

    [[nodiscard]] const std::vector<ProviderConfig>& providers() const;

    // Stores the result of a login, replacing any earlier credential.
    // Errors: not_found for an unknown provider; store errors.
    [[nodiscard]] Result<void> store_login(const store::CredentialKey& key, wire::StoreCredential login);

    // An access token valid for at least `min_valid` (or the freshest the
    // provider will give). Errors: not_found, login_required,
    // provider_unavailable, store errors.
    [[nodiscard]] boost::asio::awaitable<Result<wire::AccessToken>> token(const store::CredentialKey& key,
                                                                          std::chrono::seconds min_valid);

    [[nodiscard]] Result<std::vector<wire::CredentialInfo>> list(const std::string& user);
    // False when there was nothing to remove.
    [[nodiscard]] Result<bool> remove(const store::CredentialKey& key);
    [[nodiscard]] Result<std::uint64_t> count();

    // Upstream refresh requests made since start (for status and tests).
    [[nodiscard]] std::uint64_t refreshes() const;

    // Stops the worker pool; waits for provider calls in progress.
    void shutdown();

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace credctl::tokens
