#include "daemon/metrics/daemon_metrics.hpp"

#include <vector>

namespace credctl::metrics {
namespace {

// Refresh durations, seconds: a healthy provider answers in tens of
// milliseconds; retries with backoff run up to the retry deadline (minutes).
const std::vector<double> k_refresh_bounds{0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120};

constexpr std::array<std::string_view, 5> k_refresh_outcomes{"ok", "invalid_grant", "provider_unavailable", "timed_out",
                                                             "error"};
constexpr std::array<std::string_view, 3> k_audit_outcomes{"written", "suppressed", "failed"};
constexpr std::array<std::string_view, 14> k_store_ops{
    "put",        "update", "get",    "refresh_token", "keys",  "erase", "count", "lock_and_mark", "commit_and_unlock",
    "keep_alive", "unlock", "locked", "look",          "settle"};

template <std::size_t N>
std::vector<LabelValues> each(const std::array<std::string_view, N>& values) {
    std::vector<LabelValues> out;
    for (const auto v : values) out.push_back({std::string(v)});
    return out;
}

void gauge(Exposition& out, std::string_view name, std::string_view help, double value) {
    out.family(name, help, Type::gauge);
    out.sample(name, {}, value);
}

}  // namespace

std::string_view to_string(RefreshOutcome o) {
    return k_refresh_outcomes[static_cast<std::size_t>(o)];
}

std::string_view to_string(StoreOp op) {
    return k_store_ops[static_cast<std::size_t>(op)];
}

RefreshOutcome refresh_outcome(const Result<void>& result) {
    if (result) return RefreshOutcome::ok;
    switch (result.error().code) {
        case Errc::login_required:
            return RefreshOutcome::invalid_grant;
        case Errc::provider_unavailable:
            // The HTTP client words every timeout of an exchange so
            // (common/oauth/http_client.cpp: "connecting (timed out)",
            // "reading the response (timed out)").
            return result.error().message.find("timed out") != std::string::npos ? RefreshOutcome::timed_out
                                                                                 : RefreshOutcome::provider_unavailable;
        default:
            return RefreshOutcome::error;
    }
}

DaemonMetrics::DaemonMetrics()
    : start_time_(std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
                      .count()),
      requests_("credd_requests_total", "Requests that matched a route, by method, route pattern and decision.",
                {"method", "route", "decision"}),
      token_answers_("credd_token_answers_total",
                     "Access tokens handed out, by source: the cache (or the store), or a refresh waited for.",
                     {"source"}),
      refreshes_("credd_refreshes_total", "Refreshes at a provider that ended, by provider and outcome.",
                 {"provider", "outcome"}),
      refresh_seconds_("credd_refresh_duration_seconds",
                       "Time from the start of a refresh to its end, retries included, by provider.", {"provider"},
                       k_refresh_bounds),
      connections_refused_("credd_connections_refused_total",
                           "Connections refused: over max_connections, the waiting room full, or a wait timed out.",
                           {}),
      audit_lines_("credd_audit_lines_total",
                   "Audited decisions by what became of their line: written, suppressed (a denial or an allow "
                   "over its uid's rate, counted in a summary line) or failed.",
                   {"outcome"}),
      store_operations_("credd_store_operations_total", "Store operations, by operation.", {"operation"}),
      store_failures_("credd_store_failures_total", "Store operations that failed, by operation.", {"operation"}) {}

void DaemonMetrics::request(std::string_view method, std::string_view pattern, bool allowed) {
    requests_.add({method, pattern, allowed ? "allowed" : "denied"});
}

void DaemonMetrics::token_answered(TokenSource source) {
    token_answers_.add({source == TokenSource::cache ? "cache" : "refresh"});
}

void DaemonMetrics::refresh_ended(const std::string& provider, RefreshOutcome outcome,
                                  std::chrono::duration<double> took) {
    refreshes_.add({provider, to_string(outcome)});
    refresh_seconds_.observe({provider}, took.count());
}

void DaemonMetrics::connection_refused() {
    connections_refused_.add({});
}

void DaemonMetrics::audit(AuditOutcome outcome) {
    audit_lines_.add({k_audit_outcomes[static_cast<std::size_t>(outcome)]});
}

void DaemonMetrics::store_operation(StoreOp op, bool ok) {
    store_operations_.add({to_string(op)});
    if (!ok) store_failures_.add({to_string(op)});
}

std::uint64_t DaemonMetrics::tokens_answered(TokenSource source) const {
    return token_answers_.value({source == TokenSource::cache ? "cache" : "refresh"});
}

std::uint64_t DaemonMetrics::refreshes(const std::string& provider, RefreshOutcome outcome) const {
    return refreshes_.value({provider, to_string(outcome)});
}

std::string DaemonMetrics::render(const Snapshot& now) const {
    Exposition out;
    out.family("credd_build_info", "credd's version; the value is always 1.", Type::gauge);
    out.sample("credd_build_info", {{"version", CREDCTL_VERSION}}, 1);
    gauge(out, "credd_start_time_seconds", "When credd started, UTC epoch seconds.", static_cast<double>(start_time_));
    requests_.render(out);
    token_answers_.render(out, {{"cache"}, {"refresh"}});
    refreshes_.render(out);
    refresh_seconds_.render(out);
    gauge(out, "credd_connections_open", "Connections being served.", static_cast<double>(now.connections_open));
    gauge(out, "credd_connections_waiting", "Connections waiting for a slot of their uid.",
          static_cast<double>(now.connections_waiting));
    connections_refused_.render(out, {{}});
    audit_lines_.render(out, each(k_audit_outcomes));
    store_operations_.render(out, each(k_store_ops));
    store_failures_.render(out, each(k_store_ops));
    out.family("credd_credentials", "Stored credentials by state, counted when scraped.", Type::gauge);
    for (std::size_t i = 0; now.credentials && i < k_credential_states.size(); ++i) {
        out.sample("credd_credentials", {{"state", std::string(k_credential_states[i])}},
                   static_cast<double>((*now.credentials)[i]));
    }
    gauge(out, "credd_store_readable", "1 when the scrape could count the credentials in the store, else 0.",
          now.credentials ? 1 : 0);
    return out.text();
}

}  // namespace credctl::metrics
