// credd's metrics (docs/metrics.md): what GET /v1/metrics answers, in the
// Prometheus text format (exposition.hpp).
//
// Counters are counted where things happen and never reset while credd
// runs: requests by route and decision (daemon/server/api.cpp), token
// answers by source and refreshes by provider and outcome with their
// duration (daemon/tokens), connections refused (daemon/server/server.cpp),
// audit lines (api.cpp), store operations and failures (counting_store.hpp).
// Gauges (connections open and waiting, credentials by state) are computed
// when scraped, by the caller, and passed in a Snapshot: a value read from
// the store and the server at that moment cannot drift from them, as a
// gauge kept up to date at every state change could (a change by another
// host of a fleet, a restart, a missed call site).
//
// Label values are bounded: routes are patterns of the route table, never
// paths; providers are names from the config; outcomes, sources, states and
// operations come from the fixed lists below. No label holds a user name.
//
// Thread-safety: every member function may be called from any thread.
#pragma once

#include "common/error/error.hpp"
#include "daemon/metrics/registry.hpp"

#include <array>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace credctl::metrics {

// Where an access token handed out came from: the cache (or the token kept
// in the store), or a refresh at the provider that the caller waited for.
enum class TokenSource { cache, refresh };

// How a refresh ended: ok (a token, or another host's refresh answered
// for it), invalid_grant (the provider rejected the refresh token: the
// credential needs a login), timed_out (the provider did not answer in
// time), provider_unavailable (any other transient failure), error (store
// or internal failures).
enum class RefreshOutcome { ok, invalid_grant, provider_unavailable, timed_out, error };
[[nodiscard]] std::string_view to_string(RefreshOutcome o);
// The outcome of a refresh that ended with `result`.
[[nodiscard]] RefreshOutcome refresh_outcome(const Result<void>& result);

// What became of an audited decision's line: written to the log,
// suppressed (a denial or an allow over its uid's rate, counted in a summary
// line), or
// failed (the log did not take it).
enum class AuditOutcome { written, suppressed, failed };

// The calls of store::Store, then those of a fleet store's store::RefreshLock.
enum class StoreOp {
    put,
    update,
    get,
    refresh_token,
    keys,
    erase,
    count,
    lock_and_mark,
    commit_and_unlock,
    keep_alive,
    unlock,
    locked,
    look,
    settle
};
[[nodiscard]] std::string_view to_string(StoreOp op);

// The states `credctl list` shows (daemon/tokens/token_service.hpp).
constexpr std::array<std::string_view, 4> k_credential_states{"valid", "refreshing", "provider_unavailable",
                                                              "login_required"};

// What is computed when scraped.
struct Snapshot {
    std::uint64_t connections_open = 0;
    std::uint64_t connections_waiting = 0;
    // Credentials by state, in the order of k_credential_states; nullopt
    // when the store could not be read.
    std::optional<std::array<std::uint64_t, k_credential_states.size()>> credentials;
};

class DaemonMetrics {
public:
    // credd makes one at start: its time is credd_start_time_seconds.
    DaemonMetrics();

    // One request that matched route `pattern` ("/v1/users/{user}/...").
    void request(std::string_view method, std::string_view pattern, bool allowed);
    void token_answered(TokenSource source);
    void refresh_ended(const std::string& provider, RefreshOutcome outcome, std::chrono::duration<double> took);
    void connection_refused();
    void audit(AuditOutcome outcome);
    void store_operation(StoreOp op, bool ok);

    // The whole exposition, counters and `now`'s gauges.
    [[nodiscard]] std::string render(const Snapshot& now) const;

    // Values for tests and for status.
    [[nodiscard]] std::uint64_t tokens_answered(TokenSource source) const;
    [[nodiscard]] std::uint64_t refreshes(const std::string& provider, RefreshOutcome outcome) const;

private:
    const std::int64_t start_time_;  // UTC epoch seconds
    CounterFamily requests_;
    CounterFamily token_answers_;
    CounterFamily refreshes_;
    HistogramFamily refresh_seconds_;
    CounterFamily connections_refused_;
    CounterFamily audit_lines_;
    CounterFamily store_operations_;
    CounterFamily store_failures_;
};

}  // namespace credctl::metrics
