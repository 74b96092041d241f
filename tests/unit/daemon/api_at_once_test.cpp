// start() (daemon/server/api.hpp): a reply that needs no wait is made at
// once, after the same decision and with the same audit line as handle()
// would make, and is ready to be sent only once that line is written; a
// request that must wait is left to its handler with its decision made and
// recorded once.
#include "support/api_fixture.hpp"
#include "support/capture.hpp"

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>

#include <chrono>
#include <ctime>

namespace credctl::server {
namespace {

namespace asio = boost::asio;

constexpr const char* k_alice_token = "/v1/users/alice/credentials/demo/token";

class ApiAtOnceTest : public ApiTest {
protected:
    Handling begin(const peer::PeerIdentity& who, const std::string& target) {
        request_ = {"GET", target, {}};
        return start(*context_, who, request_, io_.get_executor());
    }
    // Runs what the I/O loop has: the audit log's posted flush among it.
    void turn() {
        io_.restart();
        io_.run();
    }
    std::string audit_text() const { return test::slurp(audit_path_); }
    ApiRequest request_;  // start() borrows it for `later`
};

const std::int64_t k_in_an_hour = static_cast<std::int64_t>(std::time(nullptr)) + 3600;

TEST_F(ApiAtOnceTest, ACachedTokenIsReadyAtOnceAndToBeSentOnlyOnceItsAuditLineIsWritten) {
    store_credential(*lmdb_, *tokens_, "alice", store::CredentialState::valid, "AT-alice", k_in_an_hour);
    auto h = begin(k_alice, k_alice_token);
    ASSERT_TRUE(h.ready);
    EXPECT_EQ(h.ready->status, 200) << h.ready->body;
    EXPECT_NE(h.ready->body.find("\"access_token\":\"AT-alice\""), std::string::npos) << h.ready->body;
    ASSERT_EQ(h.audit, context_->audit);
    ASSERT_NE(h.audit_line, 0U);
    EXPECT_FALSE(h.audit->flushed(h.audit_line)) << "an owner's line goes with its batch";
    EXPECT_EQ(lines_of(audit_text()).size(), 0U);
    turn();
    EXPECT_TRUE(h.audit->flushed(h.audit_line)) << "one turn of the loop writes it";
    const auto line = only_new_line(audit_text(), 0);
    EXPECT_EQ(line.at("decision").as_string(), "allow");
    EXPECT_EQ(line.at("resource").as_string(), "credentials/alice/demo");
    EXPECT_EQ(line.at("permission").as_string(), "credentials:token");
}

TEST_F(ApiAtOnceTest, ACachedTokenAcrossUsersHasItsLineWrittenBeforeItIsReady) {
    store_credential(*lmdb_, *tokens_, "alice", store::CredentialState::valid, "AT-alice", k_in_an_hour);
    auto h = begin(k_bob, k_alice_token);
    ASSERT_TRUE(h.ready);
    EXPECT_EQ(h.ready->status, 200) << h.ready->body;
    ASSERT_TRUE(h.audit);
    EXPECT_TRUE(h.audit->flushed(h.audit_line));
    const auto line = only_new_line(audit_text(), 0);
    EXPECT_EQ(line.at("grant").as_string(), "bob reads alice");
}

TEST_F(ApiAtOnceTest, ADenialIsReadyAtOnceWithItsDenyLine) {
    store_credential(*lmdb_, *tokens_, "alice", store::CredentialState::valid, "AT-alice", k_in_an_hour);
    auto h = begin(k_mallory, k_alice_token);
    ASSERT_TRUE(h.ready);
    EXPECT_EQ(h.ready->status, 403);
    EXPECT_EQ(h.ready->body.find("AT-alice"), std::string::npos);
    ASSERT_TRUE(h.audit);
    turn();
    EXPECT_EQ(only_new_line(audit_text(), 0).at("decision").as_string(), "deny");
}

TEST_F(ApiAtOnceTest, ABadQueryIsRefusedAtOnceAfterItsDecisionAsTheHandlerWouldRefuseIt) {
    auto h = begin(k_alice, std::string(k_alice_token) + "?min_valid=soon");
    ASSERT_TRUE(h.ready);
    EXPECT_EQ(h.ready->status, 400);
    EXPECT_NE(h.ready->body.find("min_valid must be 0..86400 seconds: \\\"soon\\\""), std::string::npos)
        << h.ready->body;
    turn();
    EXPECT_EQ(only_new_line(audit_text(), 0).at("decision").as_string(), "allow");
}

TEST_F(ApiAtOnceTest, ATokenNotCachedIsLeftToTheHandlerWithOneDecisionRecorded) {
    auto h = begin(k_alice, k_alice_token);  // no credential: the handler reads the store
    ASSERT_FALSE(h.ready);
    ApiReply reply;
    reply.status = 0;
    asio::co_spawn(io_, std::move(h.later), [&](const std::exception_ptr&, ApiReply r) { reply = std::move(r); });
    turn();
    EXPECT_EQ(reply.status, 404) << reply.body;
    const auto line = only_new_line(audit_text(), 0);  // one line, not one per step
    EXPECT_EQ(line.at("decision").as_string(), "allow");
    const auto scrape = std::string(metrics_.render({}));
    EXPECT_NE(scrape.find("credd_requests_total{method=\"GET\",route=\"/v1/users/{user}/credentials/{provider}/token\","
                          "decision=\"allowed\"} 1\n"),
              std::string::npos)
        << scrape;
}

TEST_F(ApiAtOnceTest, AStaleTokenIsLeftToTheHandler) {
    // Good for an hour: not for the day this caller asks for.
    store_credential(*lmdb_, *tokens_, "alice", store::CredentialState::valid, "AT-alice", k_in_an_hour);
    auto h = begin(k_alice, std::string(k_alice_token) + "?min_valid=86400");
    EXPECT_FALSE(h.ready);
    EXPECT_TRUE(h.later.valid());
    turn();
    EXPECT_EQ(only_new_line(audit_text(), 0).at("decision").as_string(), "allow");
}

}  // namespace
}  // namespace credctl::server
