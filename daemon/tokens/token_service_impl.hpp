// TokenService::Impl: the state TokenService's public calls
// (token_service.cpp) share with its refresh path (token_refresh.cpp).
// Private to daemon/tokens; see token_service.hpp for the contract.
//
// Thread-safety: one thread (the I/O thread); store calls go through
// `runner` (daemon/store/store_runner.hpp), in blocks that touch nothing here.
#pragma once

#include "daemon/metrics/daemon_metrics.hpp"
#include "daemon/store/change_feed.hpp"
#include "daemon/store/store_runner.hpp"
#include "daemon/tokens/clock.hpp"
#include "daemon/tokens/flight.hpp"
#include "daemon/tokens/refresh_pace.hpp"
#include "daemon/tokens/token_cache.hpp"
#include "daemon/tokens/token_service.hpp"
#include "daemon/tokens/upstream.hpp"

#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>

#include <algorithm>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
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

// The renewal of a fleet lock's lease during a refresh (fleet_refresh.cpp).
struct LockKeeper {
    explicit LockKeeper(boost::asio::io_context& io) : timer(io) {}
    void stop() {
        stopped = true;
        timer.cancel();
    }
    boost::asio::steady_timer timer;
    bool stopped = false;  // also ends a renewal that was in the store's hands when stop() came
};

// The waits of this host on other hosts' refreshes (fleet_refresh.cpp),
// cut short when the store's change feed reports a change: the holder's
// commit arrives through it. I/O thread only, but for the feed's wake-up,
// which is posted to the I/O thread.
struct FleetWaiters {
    FleetWaiters() = default;
    FleetWaiters(const FleetWaiters&) = delete;
    FleetWaiters& operator=(const FleetWaiters&) = delete;
    ~FleetWaiters() {
        if (feed != nullptr) feed->wake_on_change({});
    }
    void wake() {
        ++changes;
        for (auto* t : sleeping) t->cancel();
    }
    std::set<boost::asio::steady_timer*> sleeping;
    std::uint64_t changes = 0;          // wake-ups received from the feed
    bool settling = false;              // a settling of lost lock-and-marks waits for a change
    std::uint64_t lost_marks = 0;       // lock-and-marks whose answer was lost
    std::uint64_t settle_from = 0;      // the settling waits for `changes` to pass this
    bool stopped = false;               // the service is stopping: the settling ends
    store::ChangeFeed* feed = nullptr;  // the feed that wakes these, told to stop at the end
};

struct TokenService::Impl {
    Impl(boost::asio::io_context& io_, store::StoreRunner& runner_, TokenServiceOptions options_,
         TokenServiceSeams seams)
        : io(io_), runner(runner_), options(std::move(options_)), upstream(seams.upstream), clock(seams.clock) {
        if (!options.metrics) options.metrics = std::make_shared<metrics::DaemonMetrics>();
    }
    // A refresh's store steps, run from the upstream's thread, hand their
    // results back there: the store thread lets go of the upstream's
    // executor before the upstream (and its io_context) goes below. In
    // credd no refresh is under way by then: the I/O loop has run out of
    // work, and a refresh that awaits an exchange would keep it running.
    ~Impl() {
        stop_waiting();
        runner.settle();
    }
    Impl(const Impl&) = delete;
    Impl& operator=(const Impl&) = delete;

    boost::asio::io_context& io;
    std::unique_ptr<store::StoreRunner> owned_runner;  // a store given directly: called inline
    store::StoreRunner& runner;
    TokenServiceOptions options;
    std::unique_ptr<Upstream> owned_upstream;  // production only; tests keep theirs
    std::unique_ptr<Clock> owned_clock;
    Upstream& upstream;
    Clock& clock;
    metrics::DaemonMetrics& metrics() const { return *options.metrics; }
    // State changes worth a word (daemon/notify); after `options`, which names it.
    notify::Events& events = options.events != nullptr ? *options.events : notify::no_events();
    TokenCache cache;
    RefreshPace pace{options.pace};
    std::map<std::string, std::shared_ptr<Flight>> flights;  // by credential_key
    // Reads of a record by start_refresh() in progress, by credential_key:
    // a caller arriving meanwhile waits for the read instead of queueing one
    // of its own (on etcd each read is a network round trip on the one store
    // thread, and a stampede's callers all arrive before the first returns).
    // Finished with start_refresh()'s outcome, success or its error.
    std::map<std::string, std::shared_ptr<Flight>> reads;
    std::set<std::string> removing;  // credentials being deleted
    // Credentials whose last refresh failed for a transient reason, and
    // since when: `credctl status` shows them as provider_unavailable.
    std::map<std::string, std::int64_t> unavailable_since;  // by credential_key

    const ProviderConfig* provider(const std::string& name) const {
        for (const auto& p : options.providers) {
            if (p.name == name) return &p;
        }
        return nullptr;
    }

    // Set by stop(): told how long the refreshes a stop waits for can take.
    std::function<void(std::chrono::seconds)> drain;
    // The longest a refresh of the credential `ck` (credential_key) can take
    // from now: its provider's retry_deadline, the connect and the exchange
    // under way then, and the store steps around them.
    std::chrono::seconds longest_refresh(const std::string& ck) const;

    // Writes the state back; a failure is logged (the caller's answer stands).
    boost::asio::awaitable<void> set_state(const store::CredentialKey& key, store::CredentialRecord& record,
                                           store::CredentialState state);
    // Forgets what the cache holds of credentials other processes changed
    // (store::ChangeFeed; nothing without one).
    void forget_changed();

    // token()'s steps between its waits. They are plain functions, and
    // token() keeps every answer in one slot: a caller waiting for a refresh
    // holds token()'s frame, which has room for every local of its body
    // (docs/benchmarks.md, "Expiry stampede").
    using Answer = std::optional<Result<wire::AccessToken>>;
    // The cached token of `ck` for the scope set `sk`, good for `want`
    // seconds more, counted as answered from `source`.
    Answer from_cache(const std::string& ck, const std::string& sk, std::int64_t want, metrics::TokenSource source);
    // The refresh of `ck` in flight, or else the read of its record that
    // another caller is doing (`read` is then true); null when neither.
    std::shared_ptr<Flight> in_flight(const std::string& ck, bool& read) const;
    // start_refresh() for token(): the refresh to wait for; null with
    // `answer` set (the stored token, or the error), or null alone (a flight
    // or a token arrived during the read: look again).
    boost::asio::awaitable<std::shared_ptr<Flight>> begin_refresh(const store::CredentialKey& key,
                                                                  const std::string& sk,
                                                                  const std::vector<std::string>& scopes,
                                                                  std::int64_t want,
                                                                  std::optional<std::uint64_t> caller, Answer& answer);
    // The answer of a caller whose wait for `flight` (a read when `read`)
    // ended, by its end or by the caller's deadline; std::nullopt: look
    // again.
    Answer after_wait(const Flight& flight, bool read, const store::CredentialKey& key, const std::string& ck,
                      const std::string& sk, std::chrono::milliseconds timeout);
    // False when a login stored another refresh token while ours was at the
    // provider: the answer about the old one must not overwrite the new.
    boost::asio::awaitable<bool> still_ours(const store::CredentialKey& key, const SecretBytes& sent);
    // still_ours() within a store block (on the store's thread).
    static bool holds(store::Store& s, const store::CredentialKey& key, const SecretBytes& sent);
    // The error of a refresh whose credential a login replaced meanwhile
    // (logged).
    Error replaced(const store::CredentialKey& key);

    // What start_refresh() found in the store: the record, and whether a
    // pending one is another host's refresh in flight.
    struct Found {
        std::optional<store::CredentialRecord> record;
        bool refreshing_elsewhere = false;
    };
    boost::asio::awaitable<Result<Found>> find(const store::CredentialKey& key);
    // Either the stored access token, good enough, or a refresh now in
    // flight (this caller's, or one that another caller started while the
    // record was read: std::nullopt then, look again).
    // The read is announced in `reads` while it lasts. A refresh `caller`
    // (a peer::Account) may not start yet (pace) gives the cached token of
    // `sk` while one is still valid, or too_many_requests; callers waiting
    // on the read then look again, each under its own budget.
    using Started = std::optional<std::variant<CachedToken, std::shared_ptr<Flight>>>;
    boost::asio::awaitable<Result<Started>> start_refresh(const store::CredentialKey& key, const std::string& sk,
                                                          const std::vector<std::string>& scopes, std::int64_t want,
                                                          std::optional<std::uint64_t> caller);
    // `refused`: set when the error is the pace's refusal of `caller`.
    boost::asio::awaitable<Result<Started>> read_and_start(const store::CredentialKey& key, const std::string& sk,
                                                           const std::vector<std::string>& scopes, std::int64_t want,
                                                           std::optional<std::uint64_t> caller, bool& refused);
    // What a caller over its refresh budget gets instead of a refresh.
    // `rec`: the record just read (a token cached before another process
    // changed it is served only if the record names the same subject and
    // still grants its scopes).
    Result<Started> paced(const store::CredentialKey& key, const std::string& sk, const store::CredentialRecord& rec,
                          std::uint64_t caller, RefreshPace::Verdict verdict);
    // When each step of one refresh ended, for the debug line that says
    // where its time went (credd --verbose; refresh_steps_line()). A step
    // not reached stays at the epoch. Each is written by the thread that
    // ran the step, all are read once the refresh is back.
    struct RefreshSteps {
        using Point = std::chrono::steady_clock::time_point;
        Point asked;       // the record's read began (read_and_start())
        Point flying;      // the read over, the flight began (I/O thread)
        Point locked;      // a fleet's lock taken, its pending mark with it
        Point exchanging;  // the steps began (the exchanges' thread, or this one)
        Point marked;      // the pending mark durable, the refresh token read
        Point token_read;  // on a fleet (its mark is the lock's): the refresh token read
        Point answered;    // the provider's answer read
        Point stored;      // the new token stored
        Point back;        // the outcome back on the I/O thread
    };
    // "refresh of credentials/alice/demo: ok in 7.93 ms: store read 0.15,
    // steps started 0.29, ...": each step reached, in the order they ended,
    // with the time since the one before, from `s.asked`. No secret: names
    // and times.
    static std::string refresh_steps_line(const store::CredentialKey& key, const Result<void>& result,
                                          const RefreshSteps& s);
    boost::asio::awaitable<void> fly(store::CredentialKey key, store::CredentialRecord record,
                                     std::vector<std::string> scopes, std::shared_ptr<Flight> flight,
                                     RefreshSteps::Point asked);
    boost::asio::awaitable<Result<void>> refresh(const store::CredentialKey& key, store::CredentialRecord record,
                                                 std::vector<std::string> scopes, RefreshSteps& steps);
    boost::asio::awaitable<Error> refresh_failed(const store::CredentialKey& key, const ProviderConfig& p,
                                                 store::CredentialRecord& record, const Error& failure);
    // The wall clock when a refresh began, and the steady one: the steps of
    // exchange() on another thread tell the time from these, not from the
    // clock (one thread).
    struct Since {
        std::int64_t epoch = 0;
        std::chrono::steady_clock::time_point steady;
    };
    // What the steps of exchange() give back: the refresh token sent, the
    // provider's answer, and when they stored it too, the token to serve
    // and whether it was stored (false: a login replaced the credential).
    struct Exchanged {
        Result<SecretBytes> refresh_token = make_error(Errc::internal, "the refresh token was not read");
        Attempt<oauth::TokenSet> outcome;
        std::optional<CachedToken> served;
        Result<bool> stored = false;
        RefreshSteps* steps = nullptr;
    };
    // The steps of a refresh between the store and the provider: the pending
    // mark (without a fleet lock) with the refresh token read, the exchange,
    // and with `commit`, storing a new token (store_outcome()). They touch
    // the store, the upstream and their arguments only, so that they may run
    // on the exchanges' thread (refresh()).
    boost::asio::awaitable<void> exchange(const store::CredentialKey& key, store::CredentialRecord& record,
                                          const ProviderConfig& p, const std::vector<std::string>& scopes,
                                          std::shared_ptr<Warmup> warm, const Since* commit, Exchanged& x);
    // Sets `record` for the new token `t` got at `now`; the token to serve.
    static CachedToken prepare_commit(store::CredentialRecord& record, oauth::TokenSet& t, const std::string& scopes,
                                      std::int64_t now);
    boost::asio::awaitable<Result<void>> commit_refresh(const store::CredentialKey& key,
                                                        store::CredentialRecord& record, oauth::TokenSet& t,
                                                        const std::string& scopes, const SecretBytes& sent);
    // Back on the I/O thread once a new token was stored (`stored`) or not.
    Result<void> committed(const store::CredentialKey& key, const std::string& scopes, const Result<bool>& stored,
                           CachedToken served);
    boost::asio::awaitable<Error> forget_interrupted(const store::CredentialKey& key, store::CredentialRecord& record);

    // fleet_refresh.cpp: the fleet-wide single flight over store.refresh_lock()
    // (daemon/store/refresh_lock.hpp). True when this process holds the lock
    // and `record` is the current record to refresh; false when another
    // host's refresh answered for us (its access token is in the cache).
    // Taking the lock also stores `record` marked refresh_pending
    // (store::RefreshLock::lock_and_mark): on true, the mark is durable.
    boost::asio::awaitable<Result<bool>> take_fleet_lock(const store::CredentialKey& key,
                                                         store::CredentialRecord& record,
                                                         const std::vector<std::string>& scopes);
    // Waits while another host holds the lock of `key`: returns the record
    // once the lock is gone or the record holds that host's refresh. Woken
    // at once by a change the feed reported after its count was `seen`.
    // Errors: the store, or `patience` spent.
    boost::asio::awaitable<Result<std::optional<store::CredentialRecord>>> wait_for_holder(
        const store::CredentialKey& key, const store::CredentialRecord& before, const std::vector<std::string>& scopes,
        std::chrono::milliseconds patience, std::uint64_t seen);
    // The waits on other hosts, hooked to the change feed when there is one.
    std::shared_ptr<FleetWaiters> fleet_waiters();
    // After a lock-and-mark whose answer was lost, sent when the feed's
    // count stood at `seen`: settles it once the store's change feed shows
    // the cluster committing (fleet_refresh.cpp).
    void settle_lost_marks(std::uint64_t seen);
    // Ends the settling, and the feed's calls into the waiters (stop(), and
    // the destructor: a coroutine frame that outlives the service may hold
    // them).
    void stop_waiting();
    std::shared_ptr<FleetWaiters> waiters_;
    // Stores the refresh's outcome: with the fleet lock, in the same step as
    // releasing it (store::RefreshLock::commit_and_unlock); without, as put()
    // (a rotated refresh token) or update(). With `sent`, only if the stored
    // refresh token is still `sent` (holds()), checked in the same store
    // block: false, and nothing stored, when it is not.
    boost::asio::awaitable<Result<bool>> store_outcome(const store::CredentialKey& key,
                                                       const store::CredentialRecord& record,
                                                       const SecretBytes* rotated, const SecretBytes* sent = nullptr);
    // Renews the lock's lease every third of it until the returned keeper
    // is stopped; nullptr without a lock.
    std::shared_ptr<LockKeeper> keep_fleet_lock(const store::CredentialKey& key);
    boost::asio::awaitable<Error> refresh_threw(const store::CredentialKey& key, std::string what);
};

}  // namespace credctl::tokens
