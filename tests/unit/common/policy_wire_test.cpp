#include "common/wire/policy_wire.hpp"
#include "common/wire/wire.hpp"

#include "support/round_trip.hpp"

#include <gtest/gtest.h>

namespace credctl::wire {
namespace {

Identity sample_identity() {
    Identity i;
    i.pid = 42;
    i.uid = 1001;
    i.gid = 1001;
    i.groups = {1001, 27};
    i.user = "batch";
    i.exe = "/opt/jobs/bin/sync";
    i.systemd_unit = "nightly-sync.service";
    i.verified = true;
    i.liveness = "pidfd";
    return i;
}

TEST(PolicyWire, WhoamiRoundTrips) {
    Whoami w;
    w.identity = sample_identity();
    w.owner_access = false;
    w.grants.push_back({"nightly", {"credentials:token"}, {"credentials/alice/github"}});
    const auto back = test::round_trip(w, parse_whoami);
    EXPECT_EQ(back.identity.groups, (std::vector<std::int64_t>{1001, 27}));
    EXPECT_EQ(back.identity.user, "batch");
    EXPECT_EQ(back.identity.exe, "/opt/jobs/bin/sync");
    EXPECT_FALSE(back.identity.exe_sha256);
    EXPECT_EQ(back.identity.systemd_unit, "nightly-sync.service");
    EXPECT_TRUE(back.identity.verified);
    EXPECT_FALSE(back.owner_access);
    ASSERT_EQ(back.grants.size(), 1U);
    EXPECT_EQ(back.grants[0].resources, std::vector<std::string>{"credentials/alice/github"});
}

TEST(PolicyWire, UnknownFieldsAreNullNotEmptyStrings) {
    Whoami w;
    const std::string json = to_json(w);
    EXPECT_NE(json.find("\"exe\":null"), std::string::npos) << json;
    EXPECT_NE(json.find("\"user\":null"), std::string::npos) << json;
}

TEST(PolicyWire, PolicyCheckRoundTripsWithOptionalFields) {
    PolicyCheck c{"alice", "github", "credentials:read", 1001, "/bin/true", std::nullopt};
    const auto back = test::round_trip(c, parse_policy_check);
    EXPECT_EQ(back.user, "alice");
    EXPECT_EQ(back.permission, "credentials:read");
    EXPECT_EQ(back.as_uid, 1001);
    EXPECT_EQ(back.exe, "/bin/true");
    EXPECT_FALSE(back.systemd_unit);
}

TEST(PolicyWire, PolicyCheckNeedsUserAndProvider) {
    auto r = parse_policy_check(R"({"user":"alice"})");
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, Errc::bad_request);
    EXPECT_EQ(r.error().message, "policy check: user and provider are required");
}

TEST(PolicyWire, PolicyCheckRejectsANegativeUid) {
    auto r = parse_policy_check(R"({"user":"a","provider":"b","as_uid":-1})");
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().message, "policy check: as_uid must be a uid");
}

TEST(PolicyWire, PolicyCheckThatIsNotJsonIsBadRequest) {
    auto r = parse_policy_check("nope");
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, Errc::bad_request);
}

TEST(PolicyWire, DecisionRoundTrips) {
    PolicyDecision d{true,      "credentials/alice/github", "credentials:token",
                     "nightly", "grant \"nightly\"",        sample_identity()};
    const auto back = test::round_trip(d, parse_policy_decision);
    EXPECT_TRUE(back.allowed);
    EXPECT_EQ(back.grant, "nightly");
    EXPECT_EQ(back.identity.uid, 1001);
    PolicyDecision denied;
    const std::string json = to_json(denied);
    EXPECT_NE(json.find("\"grant\":null"), std::string::npos);
}

// The answers credd serializes with Boost.JSON that quote the caller's
// executable stay valid UTF-8, so credctl's parser takes them.
TEST(PolicyWire, AnswersQuotingTheCallersExecutableReadBack) {
    Whoami w;
    w.identity.exe = "/home/mallory/\xff/credctl";
    w.identity.user = "mallory";
    const auto back = parse_whoami(to_json(w));
    ASSERT_TRUE(back) << back.error().message;
    EXPECT_EQ(back->identity.exe, "/home/mallory/\xef\xbf\xbd/credctl");
    PolicyDecision d;
    d.reason = "exe /home/mallory/\xff/credctl is not /usr/bin/sync";
    const auto decision = parse_policy_decision(to_json(d));
    ASSERT_TRUE(decision) << decision.error().message;
    EXPECT_EQ(decision->reason, "exe /home/mallory/\xef\xbf\xbd/credctl is not /usr/bin/sync");
    const Error e = parse_problem(403, to_json(Problem{Errc::forbidden, "exe /x/\xff\xfe is not /y"}));
    EXPECT_EQ(e.message, "exe /x/\xef\xbf\xbd\xef\xbf\xbd is not /y");
}

}  // namespace
}  // namespace credctl::wire
