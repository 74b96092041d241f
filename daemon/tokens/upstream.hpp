// Upstream: credd's calls to OAuth providers (refresh and revocation), off
// the I/O thread, with retries.
//
// Each provider has its own small worker pool, so a provider that hangs
// occupies only its own threads and never delays callers of another. The
// blocking HTTP exchange runs there; the waiting between attempts happens
// on the caller's executor. Endpoints learnt by discovery are kept per
// provider.
//
// A refresh is attempted until it succeeds, fails for good (invalid_grant,
// a certificate that does not verify, an unusable answer), or the next
// backoff wait (backoff.hpp) would pass the provider's retry_deadline.
//
// Used by TokenService. Thread-safety: call from one thread (the I/O thread).
#pragma once

#include "common/config/provider.hpp"
#include "common/error/error.hpp"
#include "common/oauth/oauth_client.hpp"
#include "common/secret/secret_bytes.hpp"

#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace credctl::tokens {

class Upstream {
public:
    // `default_timeout`: one exchange, for providers without timeout_seconds.
    Upstream(const std::vector<ProviderConfig>& providers, std::chrono::seconds default_timeout,
             std::size_t threads_per_provider);
    ~Upstream();
    Upstream(const Upstream&) = delete;
    Upstream& operator=(const Upstream&) = delete;

    // The refresh grant with retries. A failure other than login_required
    // names the number of attempts. `provider` must be one of those given
    // at construction.
    [[nodiscard]] boost::asio::awaitable<oauth::Attempt> refresh(const ProviderConfig& provider,
                                                                 const SecretBytes& refresh_token,
                                                                 const std::vector<std::string>& scopes);

    // RFC 7009 revocation, one attempt (a logout is not worth a long wait).
    [[nodiscard]] boost::asio::awaitable<Result<void>> revoke(const ProviderConfig& provider,
                                                              const SecretBytes& refresh_token);

    // Requests sent to token endpoints since start (attempts, not refreshes).
    [[nodiscard]] std::uint64_t attempts() const;

    // Stops the pools; waits for provider calls in progress.
    void shutdown();

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace credctl::tokens
