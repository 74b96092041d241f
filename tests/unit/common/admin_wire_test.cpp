// Admin wire types: what credd sends is what credctl reads.
#include "common/wire/admin_wire.hpp"

#include "support/round_trip.hpp"

#include <gtest/gtest.h>

namespace credctl::wire {
namespace {

TEST(AdminWire, StoreStatusRoundTrips) {
    StoreStatus s{100001, 41099264, 67108864, 4294967296, 2, {1, 2}, true, 36000, "stopped: x", 5};
    const auto back = test::round_trip(s, parse_store_status);
    EXPECT_EQ(back.records, 100001);
    EXPECT_EQ(back.max_map_bytes, 4294967296);
    EXPECT_EQ(back.keys, (std::vector<std::int64_t>{1, 2}));
    EXPECT_TRUE(back.rotating);
    EXPECT_EQ(back.resealed, 36000);
    EXPECT_EQ(back.rotation_error, "stopped: x");
    EXPECT_EQ(back.left, 5);
}

TEST(AdminWire, AStoreStatusWithoutLeftReadsAsNoneLeft) {
    auto back = parse_store_status(R"({"records":1,"current_key":1,"keys":[1],"rotating":false,"resealed":0})");
    ASSERT_TRUE(back.has_value());
    EXPECT_EQ(back->left, 0);
}

TEST(AdminWire, CheckResultRoundTripsFailures) {
    CheckResult c{3, 2, {{"alice/github", "record does not open (wrong key, moved or damaged)"}}};
    const auto back = test::round_trip(c, parse_check_result);
    EXPECT_EQ(back.records, 3);
    EXPECT_EQ(back.opened, 2);
    ASSERT_EQ(back.failures.size(), 1u);
    EXPECT_EQ(back.failures[0].credential, "alice/github");
}

TEST(AdminWire, RestoreResultRoundTripsEachCredentialsOutcome) {
    RestoreResult r{1, 0, 1, 0, {{"alice/github", "moved", ""}, {"bob/github", "refused", "this store holds a newer"}}};
    const auto back = test::round_trip(r, parse_restore_result);
    EXPECT_EQ(back.moved, 1);
    EXPECT_EQ(back.refused, 1);
    ASSERT_EQ(back.items.size(), 2u);
    EXPECT_EQ(back.items[1].credential, "bob/github");
    EXPECT_EQ(back.items[1].outcome, "refused");
    EXPECT_EQ(back.items[1].reason, "this store holds a newer");
    EXPECT_FALSE(parse_restore_result("[]").has_value());
}

TEST(AdminWire, ListsKeepTheirObjectsOnly) {
    auto c = parse_check_result(R"({"records":2,"opened":1,"failures":[7,{"credential":"a/b","reason":"x"},"y"]})");
    ASSERT_TRUE(c.has_value()) << c.error().message;
    ASSERT_EQ(c->failures.size(), 1u);
    EXPECT_EQ(c->failures[0].credential, "a/b");
    EXPECT_EQ(c->failures[0].reason, "x");
    auto r = parse_restore_result(R"({"moved":0,"items":{"credential":"a/b"}})");
    ASSERT_TRUE(r.has_value()) << r.error().message;
    EXPECT_TRUE(r->items.empty()) << "items that are not an array are none";
}

TEST(AdminWire, BackupNeedsAStringPath) {
    auto ok = parse_backup(R"({"path":"/var/backups/credd.mdb"})");
    ASSERT_TRUE(ok.has_value());
    EXPECT_EQ(ok->path, "/var/backups/credd.mdb");
    for (const char* bad : {R"({})", R"({"path":7})", "[]", "not json"}) {
        auto r = parse_backup(bad);
        ASSERT_FALSE(r.has_value()) << bad;
        EXPECT_EQ(r.error().code, Errc::bad_request);
    }
}

}  // namespace
}  // namespace credctl::wire
