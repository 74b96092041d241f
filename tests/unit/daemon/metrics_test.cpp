// credd's metrics (daemon/metrics): the 0.0.4 text format's escaping and
// numbers, counter and histogram families, the refresh outcomes, the store
// counted by operation, and the whole exposition with its scrape-time gauges.
#include "daemon/metrics/counting_store.hpp"
#include "daemon/metrics/daemon_metrics.hpp"
#include "daemon/metrics/exposition.hpp"
#include "daemon/metrics/registry.hpp"
#include "support/capture.hpp"
#include "support/temp_store.hpp"
#include "temp_dir.hpp"

#include <gtest/gtest.h>

#include <limits>
#include <thread>
#include <vector>

namespace credctl::metrics {
namespace {

using test::has_line;

TEST(Metrics, HelpEscapesBackslashAndNewlineAndLabelValuesAlsoTheQuote) {
    EXPECT_EQ(escape_help("a\\b\nc \"q\""), "a\\\\b\\nc \"q\"");
    EXPECT_EQ(escape_label_value("a\\b\nc \"q\""), "a\\\\b\\nc \\\"q\\\"");
    Exposition out;
    out.family("x_total", "line one\nline two", Type::counter);
    out.sample("x_total", {{"route", "/v1/\"odd\"\\path"}}, 3);
    EXPECT_EQ(out.text(),
              "# HELP x_total line one\\nline two\n"
              "# TYPE x_total counter\n"
              "x_total{route=\"/v1/\\\"odd\\\"\\\\path\"} 3\n");
}

TEST(Metrics, IntegersPrintExactlyAndInfinitiesAndNaNByName) {
    EXPECT_EQ(format_value(0), "0");
    EXPECT_EQ(format_value(9007199254740992.0), "9007199254740992");
    EXPECT_EQ(format_value(-42), "-42");
    EXPECT_EQ(format_value(0.25), "0.25");
    EXPECT_EQ(format_value(1e300), "1e+300");
    EXPECT_EQ(format_value(std::numeric_limits<double>::infinity()), "+Inf");
    EXPECT_EQ(format_value(-std::numeric_limits<double>::infinity()), "-Inf");
    EXPECT_EQ(format_value(std::numeric_limits<double>::quiet_NaN()), "NaN");
}

TEST(Metrics, ACounterFamilyShowsEachLabelSetOnceAndTheAlwaysShownAtZero) {
    CounterFamily f("credd_things_total", "Things.", {"kind", "outcome"});
    f.add({"a", "ok"});
    f.add({"a", "ok"}, 2);
    f.add({"b", "error"});
    EXPECT_EQ(f.value({"a", "ok"}), 3U);
    EXPECT_EQ(f.value({"c", "ok"}), 0U);
    Exposition out;
    f.render(out, {{"a", "ok"}, {"z", "ok"}});
    EXPECT_EQ(out.text(),
              "# HELP credd_things_total Things.\n"
              "# TYPE credd_things_total counter\n"
              "credd_things_total{kind=\"a\",outcome=\"ok\"} 3\n"
              "credd_things_total{kind=\"b\",outcome=\"error\"} 1\n"
              "credd_things_total{kind=\"z\",outcome=\"ok\"} 0\n");
}

TEST(Metrics, HistogramBucketsAreCumulativeAndASampleOnABoundCountsInThatBucket) {
    HistogramFamily h("credd_wait_seconds", "Waits.", {"provider"}, {0.5, 1, 5});
    h.observe({"demo"}, 0.1);
    h.observe({"demo"}, 1);  // le="1" means less than or equal
    h.observe({"demo"}, 7);
    EXPECT_EQ(h.count({"demo"}), 3U);
    Exposition out;
    h.render(out);
    EXPECT_EQ(out.text(),
              "# HELP credd_wait_seconds Waits.\n"
              "# TYPE credd_wait_seconds histogram\n"
              "credd_wait_seconds_bucket{provider=\"demo\",le=\"0.5\"} 1\n"
              "credd_wait_seconds_bucket{provider=\"demo\",le=\"1\"} 2\n"
              "credd_wait_seconds_bucket{provider=\"demo\",le=\"5\"} 2\n"
              "credd_wait_seconds_bucket{provider=\"demo\",le=\"+Inf\"} 3\n"
              "credd_wait_seconds_sum{provider=\"demo\"} 8.1\n"
              "credd_wait_seconds_count{provider=\"demo\"} 3\n");
}

TEST(Metrics, LabelSetsAddedInTurnEachKeepTheirOwnCount) {
    CounterFamily f("credd_things_total", "Things.", {"kind", "outcome"});
    for (int i = 0; i < 3; ++i) {
        f.add({"a", "ok"});
        f.add({"a", "error"});  // differs from the one before only in its last value
        f.add({"a", "error"});
        f.add({"b", "ok"});
    }
    EXPECT_EQ(f.value({"a", "ok"}), 3U);
    EXPECT_EQ(f.value({"a", "error"}), 6U);
    EXPECT_EQ(f.value({"b", "ok"}), 3U);
}

TEST(Metrics, CountersAddUpFromManyThreads) {
    CounterFamily f("credd_n_total", "N.", {});
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
        threads.emplace_back([&f] {
            for (int i = 0; i < 10000; ++i) f.add({});
        });
    }
    for (auto& t : threads) t.join();
    EXPECT_EQ(f.value({}), 40000U);
}

TEST(Metrics, ARefreshOutcomeTellsInvalidGrantTimeoutsAndOtherFailuresApart) {
    EXPECT_EQ(refresh_outcome(Result<void>{}), RefreshOutcome::ok);
    EXPECT_EQ(refresh_outcome(make_error(Errc::login_required, "rejected")), RefreshOutcome::invalid_grant);
    EXPECT_EQ(refresh_outcome(make_error(Errc::provider_unavailable,
                                         "provider demo did not answer usably after 3 attempt(s) in 30012 ms: "
                                         "http://127.0.0.1:1/token: reading the response (timed out)")),
              RefreshOutcome::timed_out);
    EXPECT_EQ(refresh_outcome(make_error(Errc::provider_unavailable, "http://x/token: HTTP 503")),
              RefreshOutcome::provider_unavailable);
    EXPECT_EQ(refresh_outcome(make_error(Errc::store_full, "store: map full at its cap")), RefreshOutcome::error);
    EXPECT_EQ(to_string(RefreshOutcome::timed_out), "timed_out");
}

TEST(Metrics, TheExpositionHasEveryFamilyAndTheGaugesOfItsSnapshot) {
    DaemonMetrics m;
    m.request("GET", "/v1/users/{user}/credentials/{provider}/token", true);
    m.request("GET", "/v1/users/{user}/credentials/{provider}/token", false);
    m.token_answered(TokenSource::cache);
    m.refresh_ended("demo", RefreshOutcome::invalid_grant, std::chrono::milliseconds(20));
    m.connection_refused();
    m.audit(AuditOutcome::suppressed);
    m.store_operation(StoreOp::update, false);
    const std::string text = m.render({3, 1, std::array<std::uint64_t, 4>{5, 0, 2, 1}});
    for (const char* line : {
             "credd_build_info{version=\"" CREDCTL_VERSION "\"} 1",
             "credd_requests_total{method=\"GET\",route=\"/v1/users/{user}/credentials/{provider}/token\","
             "decision=\"allowed\"} 1",
             "credd_requests_total{method=\"GET\",route=\"/v1/users/{user}/credentials/{provider}/token\","
             "decision=\"denied\"} 1",
             "credd_token_answers_total{source=\"cache\"} 1",
             "credd_token_answers_total{source=\"refresh\"} 0",
             "credd_refreshes_total{provider=\"demo\",outcome=\"invalid_grant\"} 1",
             "credd_refresh_duration_seconds_bucket{provider=\"demo\",le=\"0.025\"} 1",
             "credd_refresh_duration_seconds_count{provider=\"demo\"} 1",
             "credd_connections_open 3",
             "credd_connections_waiting 1",
             "credd_connections_refused_total 1",
             "credd_audit_lines_total{outcome=\"suppressed\"} 1",
             "credd_audit_lines_total{outcome=\"written\"} 0",
             "credd_store_operations_total{operation=\"update\"} 1",
             "credd_store_failures_total{operation=\"update\"} 1",
             "credd_store_failures_total{operation=\"get\"} 0",
             "credd_credentials{state=\"valid\"} 5",
             "credd_credentials{state=\"provider_unavailable\"} 2",
             "credd_credentials{state=\"login_required\"} 1",
             "credd_store_readable 1",
         }) {
        EXPECT_TRUE(has_line(text, line)) << line << "\nin:\n" << text;
    }
    EXPECT_NE(text.find("# TYPE credd_refresh_duration_seconds histogram\n"), std::string::npos);
    EXPECT_NE(text.find("# TYPE credd_start_time_seconds gauge\n"), std::string::npos);
    const std::string unreadable = m.render({0, 0, std::nullopt});
    EXPECT_EQ(unreadable.find("credd_credentials{"), std::string::npos) << unreadable;
    EXPECT_TRUE(has_line(unreadable, "credd_store_readable 0"));
}

TEST(Metrics, TheCountingStoreCountsEveryOperationAndOnlyErrorsAsFailures) {
    test::TempDir dir;
    auto lmdb = test::open_temp_store(dir);
    ASSERT_TRUE(lmdb.has_value()) << lmdb.error().message;
    DaemonMetrics m;
    CountingStore counted(**lmdb, m);
    const store::CredentialKey key{"alice", "demo"};
    EXPECT_TRUE(counted.get(key).has_value());          // absent: no failure
    EXPECT_FALSE(counted.update(key, {}).has_value());  // not_found: a failure
    EXPECT_TRUE(counted.put(key, {}, SecretBytes::from("RT")).has_value());
    EXPECT_TRUE(counted.count().has_value());
    EXPECT_EQ(counted.refresh_lock(), nullptr);
    const std::string text = m.render({});
    EXPECT_TRUE(has_line(text, "credd_store_operations_total{operation=\"get\"} 1")) << text;
    EXPECT_TRUE(has_line(text, "credd_store_operations_total{operation=\"update\"} 1")) << text;
    EXPECT_TRUE(has_line(text, "credd_store_operations_total{operation=\"put\"} 1")) << text;
    EXPECT_TRUE(has_line(text, "credd_store_failures_total{operation=\"update\"} 1")) << text;
    EXPECT_TRUE(has_line(text, "credd_store_failures_total{operation=\"get\"} 0")) << text;
    EXPECT_TRUE(has_line(text, "credd_store_failures_total{operation=\"put\"} 0")) << text;
}

}  // namespace
}  // namespace credctl::metrics
