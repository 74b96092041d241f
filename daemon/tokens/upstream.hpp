// Upstream: credd's calls to OAuth providers (refresh and revocation), as an
// interface: the seam where TokenService meets the network, so that unit
// tests drive each exchange by hand (hold it, answer it, fail it, throw).
//
// make_provider_upstream() is the production implementation. Every call is a
// coroutine (oauth_async.hpp): no thread blocks on a provider, so a provider
// that hangs delays only the callers waiting for that very call, never
// another credential of it or of another provider, and never the rest of the
// daemon. Each exchange has its connect timeout and total timeout. Endpoints
// learnt by discovery are kept per provider.
//
// The exchanges (discovery, refresh with its retries, revocation) run on a
// thread of their own, and the caller resumes on its own executor with the
// result. On the I/O thread, each step of an exchange (resolve, connect,
// write, read) waited in line behind every request that was ready before
// it: with 1000 callers of one expired token, the one refresh they all wait
// for finished only after all 1000 requests had been read
// (docs/benchmarks.md, "Expiry stampede"). The endpoints learnt and the
// backoff are touched on that thread only; the count of attempts is atomic.
// TokenService runs a refresh's store steps from that thread too
// (steps_executor()), so that no step of it waits behind the I/O thread's
// requests.
//
// A refresh is attempted until it succeeds, fails for good (invalid_grant,
// a certificate that does not verify, an unusable answer), or the next
// backoff wait (backoff.hpp) would pass the provider's retry_deadline.
//
// Used by TokenService. Thread-safety: warm_up() from one thread (the I/O
// thread); the production upstream's refresh(), revoke() and attempts()
// from any. An implementation without a steps_executor() (the tests' fakes)
// is called on the I/O thread only. Arguments passed by reference must
// outlive the call, as for any coroutine.
#pragma once

#include "common/config/provider.hpp"
#include "common/error/error.hpp"
#include "common/oauth/oauth_client.hpp"
#include "common/secret/secret_bytes.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace credctl::tokens {

// A connection to a provider's token endpoint being opened for one refresh
// (Upstream::warm_up()). Opaque; dropping it closes the connection unused.
class Warmup;

class Upstream {
public:
    virtual ~Upstream() = default;

    // A refresh of `provider` is about to be made: opens a connection to its
    // token endpoint now (TCP and, for https, the TLS handshake), on the
    // exchanges' thread, while the caller makes the refresh's intent
    // durable. Nothing is sent on it until refresh() is given it: the refresh
    // token leaves the process only then. When there is nothing to open
    // ahead (null, or the endpoints are not discovered yet), the refresh
    // connects as before.
    [[nodiscard]] virtual std::shared_ptr<Warmup> warm_up(const ProviderConfig& provider) {
        (void)provider;
        return nullptr;
    }

    // The refresh grant with retries; the first attempt goes over `warm`'s
    // connection when it opened (warm_up()), otherwise over a new one. A
    // failure other than login_required names the number of attempts.
    // Errors are values; an exception means a bug, and the caller treats it
    // as one (Errc::internal).
    [[nodiscard]] virtual boost::asio::awaitable<Attempt<oauth::TokenSet>> refresh(
        const ProviderConfig& provider, const SecretBytes& refresh_token, const std::vector<std::string>& scopes,
        std::shared_ptr<Warmup> warm) = 0;

    // RFC 7009 revocation, one attempt (a logout is not worth a long wait).
    [[nodiscard]] virtual boost::asio::awaitable<Result<void>> revoke(const ProviderConfig& provider,
                                                                      const SecretBytes& refresh_token) = 0;

    // Requests sent to token endpoints since start (attempts, not refreshes).
    [[nodiscard]] virtual std::uint64_t attempts() const = 0;

    // The thread where the exchanges run, for a caller to run the steps
    // around refresh() there as well, refresh() included; null: none of its
    // own, and every call is made on the caller's thread.
    [[nodiscard]] virtual boost::asio::any_io_executor steps_executor() { return {}; }
};

// The provider exchanges over HTTP(S), on a thread of their own (see above).
// `default_timeout`: one exchange, for providers without timeout_seconds.
[[nodiscard]] std::unique_ptr<Upstream> make_provider_upstream(std::chrono::seconds default_timeout);

}  // namespace credctl::tokens
