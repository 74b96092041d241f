// TokenService::Impl: the state TokenService's public calls
// (token_service.cpp) share with its refresh path (token_refresh.cpp).
// Private to daemon/tokens; see token_service.hpp for the contract.
//
// Thread-safety: one thread (the I/O thread).
#pragma once

#include "daemon/metrics/daemon_metrics.hpp"
#include "daemon/tokens/clock.hpp"
#include "daemon/tokens/flight.hpp"
#include "daemon/tokens/token_cache.hpp"
#include "daemon/tokens/token_service.hpp"
#include "daemon/tokens/upstream.hpp"

#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>

#include <algorithm>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <variant>
#include <vector>

namespace credctl::tokens {

// One credential: user NUL provider NUL. Cache entries of all its scope sets
// start with it, so they can be dropped together.
inline std::string credential_key(const store::CredentialKey& k) {
    return k.user + '\0' + k.provider + '\0';
}

// Sorted, de-duplicated, space-joined: "b a a" and "a b" are one scope set.
inline std::string scope_key(std::vector<std::string> scopes) {
    std::sort(scopes.begin(), scopes.end());
    scopes.erase(std::unique(scopes.begin(), scopes.end()), scopes.end());
    std::string out;
    for (const auto& s : scopes) out += (out.empty() ? "" : " ") + s;
    return out;
}

inline std::string resource(const store::CredentialKey& k) {
    return "credentials/" + k.user + "/" + k.provider;
}

struct TokenService::Impl {
    Impl(boost::asio::io_context& io_, store::Store& store_, TokenServiceOptions options_, TokenServiceSeams seams)
        : io(io_), store(store_), options(std::move(options_)), upstream(seams.upstream), clock(seams.clock) {
        if (!options.metrics) options.metrics = std::make_shared<metrics::DaemonMetrics>();
    }

    boost::asio::io_context& io;
    store::Store& store;
    TokenServiceOptions options;
    std::unique_ptr<Upstream> owned_upstream;  // production only; tests keep theirs
    std::unique_ptr<Clock> owned_clock;
    Upstream& upstream;
    Clock& clock;
    metrics::DaemonMetrics& metrics() const { return *options.metrics; }
    // State changes worth a word (daemon/notify); after `options`, which names it.
    notify::Events& events = options.events != nullptr ? *options.events : notify::no_events();
    TokenCache cache;
    std::map<std::string, std::shared_ptr<Flight>> flights;  // by credential_key
    std::set<std::string> removing;                          // credentials being deleted
    // Credentials whose last refresh failed for a transient reason, and
    // since when: `credctl status` shows them as provider_unavailable.
    std::map<std::string, std::int64_t> unavailable_since;  // by credential_key

    const ProviderConfig* provider(const std::string& name) const {
        for (const auto& p : options.providers) {
            if (p.name == name) return &p;
        }
        return nullptr;
    }

    // Writes the state back; a failure is logged (the caller's answer stands).
    void set_state(const store::CredentialKey& key, store::CredentialRecord& record, store::CredentialState state);
    // Forgets what the cache holds of credentials other processes changed
    // (store::ChangeFeed; nothing without one).
    void forget_changed();
    // False when a login stored another refresh token while ours was at the
    // provider: the answer about the old one must not overwrite the new.
    bool still_ours(const store::CredentialKey& key, const SecretBytes& sent);

    // Either the stored access token, good enough, or a refresh now in flight.
    Result<std::variant<CachedToken, std::shared_ptr<Flight>>> start_refresh(const store::CredentialKey& key,
                                                                             const std::string& sk,
                                                                             const std::vector<std::string>& scopes,
                                                                             std::int64_t want);
    boost::asio::awaitable<void> fly(store::CredentialKey key, store::CredentialRecord record,
                                     std::vector<std::string> scopes, std::shared_ptr<Flight> flight);
    boost::asio::awaitable<Result<void>> refresh(const store::CredentialKey& key, store::CredentialRecord record,
                                                 std::vector<std::string> scopes);
    Error refresh_failed(const store::CredentialKey& key, const ProviderConfig& p, store::CredentialRecord& record,
                         const Error& failure);
    Result<void> commit_refresh(const store::CredentialKey& key, store::CredentialRecord record, oauth::TokenSet t,
                                const std::string& scopes);
    Error forget_interrupted(const store::CredentialKey& key, store::CredentialRecord record);

    // fleet_refresh.cpp: the fleet-wide single flight over store.refresh_lock()
    // (daemon/store/refresh_lock.hpp). True when this process holds the lock
    // and `record` is the current record to refresh; false when another
    // host's refresh answered for us (its access token is in the cache).
    boost::asio::awaitable<Result<bool>> take_fleet_lock(const store::CredentialKey& key,
                                                         store::CredentialRecord& record,
                                                         const std::vector<std::string>& scopes);
    // A pending mark with the lock held is another host's refresh in flight,
    // not a dead one: true then.
    Result<bool> refreshing_elsewhere(const store::CredentialKey& key);
    // Renews the lock's lease every third of it until the returned timer is
    // cancelled; nullptr without a lock.
    std::shared_ptr<boost::asio::steady_timer> keep_fleet_lock(const store::CredentialKey& key);
    Error refresh_threw(const store::CredentialKey& key, const char* what);
};

}  // namespace credctl::tokens
