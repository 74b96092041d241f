// TokenService: everything credd does with credentials, between the API
// routes and the Store: storing a login, serving access tokens, refreshing
// them at the provider, listing and forgetting credentials.
//
// Refresh is single-flight: while one refresh of a credential is in progress,
// every other caller for it waits on that refresh and gets its result, so the
// provider sees exactly one refresh request. The refresh runs on its own, not
// in the caller's request: a caller whose deadline passes stops waiting, the
// refresh does not. A rotated refresh token is
// committed to the store before any caller gets the new access token.
// Access tokens are cached per (user, provider, scope set).
//
// Provider calls (coroutines that never block the I/O thread) and their
// retries with backoff and jitter are in upstream.hpp; invalid_grant becomes
// the persisted state login_required and is never retried.
//
// Crash safety under rotation: before the refresh token is sent, the record
// is durably marked refresh_pending. If credd dies before the answer is
// committed, the provider may already have rotated the token; replaying the
// old one would trip its reuse detection and revoke the grant behind the
// user's back. So a pending mark found without a refresh in progress turns
// the credential into login_required, and the user is told to log in again.
//
// An exception escaping a refresh (a bug: upstream and store report errors as
// values) completes every waiter with internal and ends the flight, so the
// next caller starts a new refresh. It clears the pending mark as a
// transient failure does (a timeout, say, which may also come after the
// provider rotated the token): the process did not die, and at worst the next
// refresh is refused and the credential becomes login_required.
//
// Seams (docs/design.md "Seams"): the provider exchange (Upstream,
// upstream.hpp) and the time (Clock, clock.hpp). The short constructor builds
// the production ones; unit tests pass fakes through TokenServiceSeams.
//
// Store calls (and the fleet lock's) go through a store::StoreRunner
// (daemon/store/store_runner.hpp): on a store behind the network they run on
// the store thread, and a caller whose access token is cached never waits
// for them. Between a store block and the state it decides (the cache, the
// flights) the coroutine may be suspended, so that state is looked at again
// after every block: a flight registered or a token cached meanwhile wins.
// The read of a record that may start a refresh is itself single-flight:
// callers of a credential arriving while it is read wait for that read (and
// take its error) instead of queueing reads of their own on the store thread.
// On one host, a refresh's steps from its pending mark to its stored answer
// run on the upstream's thread (Upstream::steps_executor()), not coming back
// to the I/O thread between them (docs/design.md "Threads").
//
// Thread-safety: all public methods are called on the I/O thread; TokenService
// state (cache, flights) is touched on the I/O thread only.
#pragma once

#include "common/config/provider.hpp"
#include "common/error/error.hpp"
#include "common/wire/wire.hpp"
#include "daemon/notify/events.hpp"
#include "daemon/store/store.hpp"
#include "daemon/tokens/refresh_pace.hpp"

#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace boost::asio {
class io_context;
}

namespace credctl::metrics {
class DaemonMetrics;
}

namespace credctl::store {
class StoreRunner;
}

namespace credctl::tokens {

class Clock;
class Upstream;

struct TokenServiceOptions {
    std::vector<ProviderConfig> providers;
    std::chrono::seconds provider_timeout{15};  // one exchange, unless the provider sets timeout_seconds
    // Where token answers and ended refreshes are counted
    // (daemon/metrics/daemon_metrics.hpp); null: counted apart, unseen.
    std::shared_ptr<metrics::DaemonMetrics> metrics = nullptr;
    // Told when a credential turns login_required, fails for a transient
    // reason, or is valid again (daemon/notify/events.hpp); borrowed, must
    // outlive the service. nullptr: nobody is told.
    notify::Events* events = nullptr;
    // How often one caller may have a credential refreshed at the provider
    // (refresh_pace.hpp; [limits] refresh_burst, refresh_interval_seconds).
    PaceSettings pace{};
};

using Removal = wire::Removal;

enum class Revoke { yes, no };
enum class OnRevokeFailure { remove, keep };

// Borrowed by TokenService; both must outlive it.
struct TokenServiceSeams {
    Upstream& upstream;
    Clock& clock;
};

class TokenService {
public:
    // Production: provider exchanges over HTTP(S), the system clocks, store
    // calls through `runner` (shared with the rest of the daemon). `io` and
    // `runner` must outlive the service.
    TokenService(boost::asio::io_context& io, store::StoreRunner& runner, TokenServiceOptions options);
    // The same with the given seams (tests); options.provider_timeout is
    // then the upstream's business.
    TokenService(boost::asio::io_context& io, store::StoreRunner& runner, TokenServiceOptions options,
                 TokenServiceSeams seams);
    // With a runner of its own that calls `store` inline on the I/O thread
    // (store::StorePlacement::caller; tests, local stores).
    TokenService(boost::asio::io_context& io, store::Store& store, TokenServiceOptions options);
    TokenService(boost::asio::io_context& io, store::Store& store, TokenServiceOptions options,
                 TokenServiceSeams seams);
    ~TokenService();
    // Ends the background work that waits on the store (the settling of a
    // fleet store's lost lock-and-marks), so that the I/O loop can run out
    // of work (credd's shutdown). Requests keep being served, and refreshes
    // run to their end. `drain`, when given, is told how long from now the
    // refreshes a stop waits for can still take: at once, when some are
    // under way (a record read that may start one included), and again as
    // each later one starts. A refresh can take its provider's
    // retry_deadline, the exchange in progress then, and its store steps
    // (credd passes this on to systemd as EXTEND_TIMEOUT_USEC, credd(8)).
    void stop(std::function<void(std::chrono::seconds)> drain = {});
    TokenService(const TokenService&) = delete;
    TokenService& operator=(const TokenService&) = delete;

    [[nodiscard]] const std::vector<ProviderConfig>& providers() const;

    // Stores the result of a login, replacing any earlier credential.
    // Errors: not_found for an unknown provider; store errors.
    [[nodiscard]] boost::asio::awaitable<Result<void>> store_login(const store::CredentialKey& key,
                                                                   wire::StoreCredential login);

    // An access token valid for at least `min_valid` (or the freshest the
    // provider will give). Errors: not_found, login_required,
    // provider_unavailable, store errors.
    // `scopes` non-empty asks for a down-scoped token (RFC 6749 §6); it is
    // cached apart from the full-scope one.
    // `timeout` > 0 is the caller's deadline: when it passes before the
    // refresh ends, the caller gets provider_unavailable while the refresh
    // goes on (bounded by the provider's retry_deadline) for everyone else.
    // `caller`, the caller's peer::Account, has the refreshes it starts
    // paced (refresh_pace.hpp): over its budget, it gets the cached token of
    // its scope set while one is still valid, even if shorter than
    // `min_valid`, and otherwise too_many_requests. std::nullopt: unpaced.
    [[nodiscard]] boost::asio::awaitable<Result<wire::AccessToken>> token(
        store::CredentialKey key, std::chrono::seconds min_valid, std::vector<std::string> scopes = {},
        std::chrono::milliseconds timeout = std::chrono::milliseconds::zero(),
        std::optional<std::uint64_t> caller = std::nullopt);

    // The answer token() would give without waiting: the cached access
    // token good for `min_valid`, counted as token() counts it.
    // std::nullopt when token() would have to wait (read the store, refresh,
    // or join a refresh in flight).
    [[nodiscard]] std::optional<wire::AccessToken> cached(const store::CredentialKey& key,
                                                          std::chrono::seconds min_valid,
                                                          const std::vector<std::string>& scopes);

    // Keep-alive (keep_alive.hpp, keep_alive_refresh.cpp): refreshes the
    // credential through the single flight of token(), even though its
    // access token may still be good, unless its last refresh is newer than
    // `seen_refreshed_at` (a caller or another host refreshed it), it is
    // login_required or pending, a refresh of it is in flight or it is being
    // removed. True when the refresh ran (on a shared store, possibly on the
    // host that held the lock); errors as token().
    [[nodiscard]] boost::asio::awaitable<Result<bool>> keep_alive(const store::CredentialKey& key,
                                                                  std::int64_t seen_refreshed_at);

    [[nodiscard]] boost::asio::awaitable<Result<std::vector<wire::CredentialInfo>>> list(const std::string& user);
    // Waits for a refresh of the credential in progress, revokes its refresh
    // token at the provider (RFC 7009) when asked, then forgets it. A failed
    // revocation keeps the credential only with OnRevokeFailure::keep
    // (error provider_unavailable). Errors: not_found; store errors.
    [[nodiscard]] boost::asio::awaitable<Result<Removal>> remove(const store::CredentialKey& key, Revoke revoke,
                                                                 OnRevokeFailure on_failure);
    [[nodiscard]] boost::asio::awaitable<Result<std::uint64_t>> count();

    // The runner every store call of this service goes through (KeepAlive
    // and the handlers share it).
    [[nodiscard]] store::StoreRunner& runner();

    // Upstream refresh requests made since start (for status and tests).
    [[nodiscard]] std::uint64_t refreshes() const;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace credctl::tokens
