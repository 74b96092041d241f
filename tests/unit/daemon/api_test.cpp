// handle() (daemon/server/api.hpp) dispatching through every route of the
// table (routes.hpp), over a real LmdbStore, a real Policy and a real audit
// file: an allowed caller reaches the handler and, on audited routes, has
// its line written before the answer; a denied caller gets 403 `forbidden`
// and a deny line.
#include "support/api_fixture.hpp"
#include "support/capture.hpp"
#include "support/run_now.hpp"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

#include <fstream>

namespace credctl::server {
namespace {

namespace asio = boost::asio;
using test::caller;
using test::slurp;

TEST_F(ApiTest, EveryRouteServesAnAllowedCallerAndWritesItsAuditLineBeforeTheAnswer) {
    for (const auto& r : routes()) {
        const std::string what = std::string(r.method) + " " + path_of(r);
        const auto before = lines_of(slurp(audit_path_)).size();
        const auto answer = call(allowed_on(r), r);
        EXPECT_NE(answer.reply.status, 0) << what << ": no answer";
        EXPECT_NE(answer.reply.status, 403) << what << ": " << answer.reply.body;
        EXPECT_FALSE(answer.reply.close) << what;
        if (r.audit == Audit::no) {
            EXPECT_EQ(lines_of(answer.audit_at_answer).size(), before) << what << ": an open route is not audited";
            continue;
        }
        const auto line = only_new_line(answer.audit_at_answer, before);
        EXPECT_EQ(line.at("decision").as_string(), "allow") << what;
        EXPECT_EQ(line.at("permission").as_string(), policy::to_string(r.permission)) << what;
        const auto resource = policy::to_string(resource_of(find_route(r.method, path_of(r))));
        EXPECT_EQ(line.at("resource").as_string(), resource) << what;
    }
}

TEST_F(ApiTest, EveryAuditedRouteRefusesADeniedCallerWithForbiddenAndADenyLine) {
    for (const auto& r : routes()) {
        if (r.audit == Audit::no) continue;
        const std::string what = std::string(r.method) + " " + path_of(r);
        const auto before = lines_of(slurp(audit_path_)).size();
        const auto answer = call(denied_on(r), r);
        EXPECT_EQ(answer.reply.status, 403) << what << ": " << answer.reply.body;
        EXPECT_EQ(code_of(answer.reply), "forbidden") << what;
        const auto line = only_new_line(answer.audit_at_answer, before);
        EXPECT_EQ(line.at("decision").as_string(), "deny") << what;
        EXPECT_EQ(line.at("uid").as_int64(), denied_on(r).uid) << what;
        EXPECT_EQ(line.at("permission").as_string(), policy::to_string(r.permission)) << what;
    }
}

TEST_F(ApiTest, AGrantAcrossUsersIsAllowedAndNamedInItsLine) {
    const auto answer = call(k_bob, "GET", "/v1/users/alice/credentials/demo/token");
    EXPECT_EQ(answer.reply.status, 404) << answer.reply.body;  // served: there is no credential yet
    const auto line = only_new_line(answer.audit_at_answer, 0);
    EXPECT_EQ(line.at("decision").as_string(), "allow");
    EXPECT_EQ(line.at("grant").as_string(), "bob reads alice");
}

TEST_F(ApiTest, AcrossUsersNothingIsServedWhenTheAuditLogCannotBeWritten) {
    open_audit("/dev/full");
    audit_path_.clear();
    const auto crossing = call(k_bob, "GET", "/v1/users/alice/credentials/demo/token");
    EXPECT_EQ(crossing.reply.status, 403);
    EXPECT_NE(crossing.reply.body.find("credentials:token on credentials/alice/demo denied to bob: the audit log "
                                       "cannot be written, so access across users is refused"),
              std::string::npos)
        << crossing.reply.body;
    EXPECT_FALSE(crossing.reply.close);
    // An owner's own request does not cross users: it is served (the lost
    // line is logged by the flush).
    const auto own = call(k_alice, "GET", "/v1/users/alice/credentials/demo/token");
    EXPECT_EQ(own.reply.status, 404) << own.reply.body;
}

TEST_F(ApiTest, ADenialOverTheRateLimitIsCountedAndClosesItsConnection) {
    audit::Settings limited;
    limited.denials = {1, 1, 16};
    open_audit(audit_path_, limited);
    const auto first = call(k_mallory, "GET", "/v1/users/alice/credentials");
    EXPECT_EQ(first.reply.status, 403);
    EXPECT_FALSE(first.reply.close);
    const auto second = call(k_mallory, "GET", "/v1/users/alice/credentials");
    EXPECT_EQ(second.reply.status, 403);
    EXPECT_EQ(code_of(second.reply), "forbidden");
    EXPECT_TRUE(second.reply.close);
    EXPECT_EQ(lines_of(second.audit_at_answer).size(), 1U) << "the second denial is counted, not written";
    // The count is written a period later, by the timer the denial set.
    EXPECT_NE(slurp(audit_path_).find("\"event\":\"suppressed\",\"uid\":3000,\"denials\":1,"), std::string::npos);
}

// An owner's own requests over the rate of allows are served and counted,
// on a connection kept open; a request across users is written whatever
// the rate.
TEST_F(ApiTest, AnAllowOverTheRateLimitIsServedAndCountedButOneAcrossUsersIsWritten) {
    audit::Settings limited;
    limited.allows = {1, 1, 16};
    open_audit(audit_path_, limited);
    EXPECT_EQ(call(k_alice, "GET", "/v1/users/alice/credentials").reply.status, 200);
    const auto second = call(k_alice, "GET", "/v1/users/alice/credentials");
    EXPECT_EQ(second.reply.status, 200) << second.reply.body;
    EXPECT_FALSE(second.reply.close);
    EXPECT_EQ(lines_of(second.audit_at_answer).size(), 1U) << "the second allow is counted, not written";
    for (int i = 0; i < 3; ++i) {
        const auto crossing = call(k_bob, "GET", "/v1/users/alice/credentials/demo/token");
        EXPECT_EQ(crossing.reply.status, 404) << crossing.reply.body;
        // The first line, the count of the second (its timer ran in the
        // second call), and each crossing's own.
        EXPECT_EQ(lines_of(crossing.audit_at_answer).size(), 3U + static_cast<std::size_t>(i)) << "crossing " << i;
    }
    EXPECT_NE(slurp(audit_path_).find("\"event\":\"suppressed\",\"uid\":1000,\"allows\":1,"), std::string::npos)
        << slurp(audit_path_);
    const auto scrape = call(k_root, "GET", "/v1/metrics");
    EXPECT_NE(scrape.reply.body.find("credd_audit_lines_total{outcome=\"suppressed\"} 1\n"), std::string::npos)
        << scrape.reply.body;
}

// The metrics are nobody's credentials: reading them is limited like an
// owner's own requests, though the caller is not the resource's user.
TEST_F(ApiTest, MetricsReadsPassTheRateLimitOfAllows) {
    audit::Settings limited;
    limited.allows = {1, 1, 16};
    open_audit(audit_path_, limited);
    EXPECT_EQ(call(k_root, "GET", "/v1/metrics").reply.status, 200);
    const auto second = call(k_root, "GET", "/v1/metrics");
    EXPECT_EQ(second.reply.status, 200);
    EXPECT_EQ(lines_of(second.audit_at_answer).size(), 1U) << "the second scrape is counted, not written";
}

TEST_F(ApiTest, RequestsAreCountedByRoutePatternAndDecisionAndAuditLinesByWhatBecameOfThem) {
    audit::Settings limited;
    limited.denials = {1, 1, 16};
    open_audit(audit_path_, limited);
    EXPECT_EQ(call(k_alice, "GET", "/v1/users/alice/credentials").reply.status, 200);
    EXPECT_EQ(call(k_mallory, "GET", "/v1/users/alice/credentials").reply.status, 403);
    EXPECT_EQ(call(k_mallory, "GET", "/v1/users/bob/credentials").reply.status, 403);  // over the rate: counted
    EXPECT_EQ(call(k_mallory, "GET", "/v1/status").reply.status, 200);
    EXPECT_EQ(call(k_mallory, "GET", "/v1/nope").reply.status, 404);
    const auto scrape = call(k_root, "GET", "/v1/metrics");
    ASSERT_EQ(scrape.reply.status, 200) << scrape.reply.body;
    EXPECT_EQ(scrape.reply.content_type, "text/plain; version=0.0.4; charset=utf-8");
    const std::string text(scrape.reply.body);
    for (const char* line : {
             "credd_requests_total{method=\"GET\",route=\"/v1/users/{user}/credentials\",decision=\"allowed\"} 1\n",
             "credd_requests_total{method=\"GET\",route=\"/v1/users/{user}/credentials\",decision=\"denied\"} 2\n",
             "credd_requests_total{method=\"GET\",route=\"/v1/status\",decision=\"allowed\"} 1\n",
             "credd_requests_total{method=\"GET\",route=\"/v1/metrics\",decision=\"allowed\"} 1\n",
             "credd_audit_lines_total{outcome=\"written\"} 3\n",  // two requests and the scrape
             "credd_audit_lines_total{outcome=\"suppressed\"} 1\n",
             "credd_audit_lines_total{outcome=\"failed\"} 0\n",
             "credd_connections_open 0\n",
             "credd_credentials{state=\"valid\"} 0\n",
         }) {
        EXPECT_NE(text.find(line), std::string::npos) << line << "in:\n" << text;
    }
    EXPECT_EQ(text.find("/v1/nope"), std::string::npos) << "a path that matched no route is no label";
    EXPECT_EQ(text.find("alice"), std::string::npos) << "no label holds a user name";
}

TEST_F(ApiTest, UnknownPathsWrongMethodsAndBadNamesAreRefusedBeforeAnyDecision) {
    const auto unknown = call(k_alice, "GET", "/v1/nope");
    EXPECT_EQ(unknown.reply.status, 404);
    EXPECT_EQ(problem(make_error(Errc::not_found, "no such endpoint: /v1/nope")).body, unknown.reply.body);
    const auto method = call(k_alice, "PATCH", "/v1/status");
    EXPECT_EQ(method.reply.status, 400);
    EXPECT_NE(method.reply.body.find("method PATCH not allowed here"), std::string::npos) << method.reply.body;
    const auto name = call(k_alice, "GET", "/v1/users/.alice/credentials");
    EXPECT_EQ(name.reply.status, 400);
    EXPECT_NE(name.reply.body.find("invalid user or provider name in /v1/users/.alice/credentials"), std::string::npos)
        << name.reply.body;
    const auto malformed = call(k_alice, "GET", "v1/status");
    EXPECT_EQ(malformed.reply.status, 400);
    EXPECT_EQ(slurp(audit_path_), "") << "no decision, no line";
}

// A target with something to decode or a query goes through the URL parser;
// one of '/' and unreserved characters only is its own path. Both route
// alike, and a target the parser refuses is refused before any decision.
TEST_F(ApiTest, EncodedTargetsAndQueriesRouteAsTheirDecodedPath) {
    const auto plain = call(k_alice, "GET", "/v1/users/alice/credentials/demo/token");
    const auto encoded = call(k_alice, "GET", "/v1/users/%61lice/credentials/demo/token");
    EXPECT_EQ(plain.reply.status, 404) << plain.reply.body;  // no login: the route ran
    EXPECT_EQ(encoded.reply.status, plain.reply.status) << encoded.reply.body;
    EXPECT_EQ(encoded.reply.body, plain.reply.body);
    EXPECT_EQ(only_new_line(encoded.audit_at_answer, 1).at("resource").as_string(), "credentials/alice/demo");

    const auto query = call(k_alice, "GET", "/v1/users/alice/credentials/demo/token?min_valid=soon");
    EXPECT_EQ(query.reply.status, 400);
    EXPECT_NE(query.reply.body.find("min_valid"), std::string::npos) << query.reply.body;

    const auto unknown = call(k_alice, "GET", "/v1/st%61tu");
    EXPECT_EQ(unknown.reply.status, 404);
    EXPECT_NE(unknown.reply.body.find("no such endpoint: /v1/statu"), std::string::npos) << unknown.reply.body;

    const auto before = lines_of(slurp(audit_path_)).size();
    for (const char* bad : {"/v1/status?%zz", "/v1/sta tus", "/v1/%", "", "*"}) {
        const auto refused = call(k_alice, "GET", bad);
        EXPECT_EQ(refused.reply.status, 400) << bad;
        EXPECT_NE(refused.reply.body.find("malformed request target"), std::string::npos) << bad;
    }
    EXPECT_EQ(lines_of(slurp(audit_path_)).size(), before) << "no decision, no line";
}

TEST_F(ApiTest, TildeForTheUserIsTheCallerAsCreddNamesIt) {
    store_credential(*lmdb_, *tokens_, "alice", store::CredentialState::valid);
    const auto own = call(k_alice, "GET", "/v1/users/~/credentials");
    EXPECT_EQ(own.reply.status, 200) << own.reply.body;
    EXPECT_NE(own.reply.body.find(R"("user":"alice")"), std::string::npos) << own.reply.body;
    const auto line = only_new_line(own.audit_at_answer, 0);
    EXPECT_EQ(line.at("resource").as_string(), "credentials/alice/*");
    EXPECT_EQ(line.at("decision").as_string(), "allow");

    // bob's ~ is bob, whatever bob may read of alice's.
    const auto bobs = call(k_bob, "GET", "/v1/users/~/credentials/demo/token");
    EXPECT_EQ(bobs.reply.status, 404) << bobs.reply.body;
    EXPECT_EQ(only_new_line(bobs.audit_at_answer, 1).at("resource").as_string(), "credentials/bob/demo");
}

TEST_F(ApiTest, TildeForAUidWithoutANameIsABadRequestBeforeAnyDecision) {
    peer::PeerIdentity nameless = caller("x", 4242);
    nameless.user.reset();
    const auto answer = call(nameless, "GET", "/v1/users/~/credentials/demo/token");
    EXPECT_EQ(answer.reply.status, 400) << answer.reply.body;
    EXPECT_EQ(
        answer.reply.body,
        problem(make_error(Errc::bad_request, "uid 4242 has no user name; name the user (credctl: --user)")).body);
    EXPECT_EQ(slurp(audit_path_), "") << "no decision, no line";
    // A name that cannot be a {user} is told apart from one that was sent:
    // credctl asks again by its own name only on the latter.
    peer::PeerIdentity odd = caller(".odd", 4243);
    const auto refused = call(odd, "GET", "/v1/users/~/credentials/demo/token");
    EXPECT_EQ(refused.reply.status, 400) << refused.reply.body;
    EXPECT_EQ(refused.reply.body, problem(make_error(Errc::bad_request,
                                                     "the login name of uid 4243 cannot name a "
                                                     "credential; name the user (credctl: --user)"))
                                      .body);
    // Only {user} is the caller: a provider called ~ is no name.
    EXPECT_EQ(call(k_alice, "GET", "/v1/users/alice/credentials/~/token").reply.status, 400);
}

TEST_F(ApiTest, AnAdministratorListsEveryUsersCredentialsInAState) {
    store_credential(*lmdb_, *tokens_, "alice", store::CredentialState::valid);
    store_credential(*lmdb_, *tokens_, "bob", store::CredentialState::login_required);
    const auto all = call(k_root, "GET", "/v1/credentials");
    ASSERT_EQ(all.reply.status, 200) << all.reply.body;
    auto listed = wire::parse_credential_list(all.reply.body);
    ASSERT_TRUE(listed.has_value());
    EXPECT_EQ(listed->size(), 2U);
    const auto needing = call(k_root, "GET", "/v1/credentials?state=login_required");
    ASSERT_EQ(needing.reply.status, 200) << needing.reply.body;
    listed = wire::parse_credential_list(needing.reply.body);
    ASSERT_TRUE(listed.has_value());
    ASSERT_EQ(listed->size(), 1U);
    EXPECT_EQ((*listed)[0].user, "bob");
    EXPECT_EQ((*listed)[0].state, "login_required");
    EXPECT_EQ(call(k_alice, "GET", "/v1/credentials?state=login_required").reply.status, 403);
}

TEST_F(ApiTest, StatusSaysWhetherTheCallerIsAnAdministrator) {
    const auto of = [&](const peer::PeerIdentity& who) {
        auto s = wire::parse_status(call(who, "GET", "/v1/status").reply.body);
        EXPECT_TRUE(s.has_value());
        return s && s->administrator;
    };
    EXPECT_TRUE(of(k_root));
    EXPECT_FALSE(of(k_alice));
    EXPECT_FALSE(of(k_mallory));
}

// An LMDB store: its backend and state, and no etcd members.
TEST_F(ApiTest, StatusNamesTheStoreBackendAndState) {
    auto s = wire::parse_status(call(k_mallory, "GET", "/v1/status").reply.body);
    ASSERT_TRUE(s.has_value());
    EXPECT_EQ(s->store, "ok");
    EXPECT_EQ(s->store_backend, "lmdb");
    EXPECT_EQ(s->store_state, "readable");
    EXPECT_EQ(s->credentials, 0);
    EXPECT_TRUE(s->store_endpoints.empty());
}

}  // namespace
}  // namespace credctl::server
