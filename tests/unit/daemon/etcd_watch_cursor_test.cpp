#include "daemon/etcd/etcd_watch_cursor.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>

namespace credctl::etcd {
namespace {

// A line of a watch's stream as etcd 3.4's gateway sends it: the header's
// revision, one put per revision in `events` (a revision may be given twice:
// a record and its lock), then `flags` (",\"created\":true", ...).
WatchResult cursor_message(std::int64_t header, std::initializer_list<std::int64_t> events,
                           std::string_view flags = "") {
    std::string line = R"({"result":{"header":{"cluster_id":"1","member_id":"2","revision":")" +
                       std::to_string(header) + R"(","raft_term":"2"})";
    if (events.size() > 0) {
        line += R"(,"events":[)";
        const char* comma = "";
        for (const std::int64_t rev : events) {
            line += std::string(comma) + R"({"kv":{"key":"L3Av","create_revision":"2","mod_revision":")" +
                    std::to_string(rev) + R"(","version":"1","value":"eA=="}})";
            comma = ",";
        }
        line += "]";
    }
    line += std::string(flags) + "}}";
    auto r = parse_watch_result(line);
    EXPECT_TRUE(r) << line;
    return r ? *r : WatchResult{};
}

constexpr std::string_view k_created_flag = R"(,"created":true)";
constexpr std::string_view k_fragment_flag = R"(,"fragment":true)";

// A cursor whose first watch was set up at revision 10 and reported 11.
WatchCursor cursor_at_eleven() {
    WatchCursor c;
    c.begin();
    EXPECT_EQ(c.apply(cursor_message(10, {}, k_created_flag)).resync, 10);
    EXPECT_FALSE(c.apply(cursor_message(11, {11})).resync);
    EXPECT_EQ(c.start_revision(), 12);
    return c;
}

TEST(EtcdWatchCursor, AFirstWatchStartsFromNowAndFollowsAtOnce) {
    WatchCursor c;
    EXPECT_EQ(c.start_revision(), 0);
    c.begin();
    EXPECT_FALSE(c.following());
    const auto step = c.apply(cursor_message(10, {}, k_created_flag));
    EXPECT_EQ(step.resync, 10) << "what changed before it was not reported";
    EXPECT_FALSE(step.end);
    EXPECT_TRUE(c.following());
    EXPECT_TRUE(c.progressed());
    EXPECT_EQ(c.start_revision(), 11);
}

TEST(EtcdWatchCursor, AWatchResumedWithNothingMissedFollowsAtOnce) {
    WatchCursor c = cursor_at_eleven();
    c.begin();
    EXPECT_FALSE(c.following()) << "not set up yet";
    EXPECT_FALSE(c.apply(cursor_message(11, {}, k_created_flag)).resync);
    EXPECT_TRUE(c.following());
    EXPECT_TRUE(c.progressed());
}

// The backlog of a watch that resumed behind: revision 12 to 500, in
// fragments; revision 100 (a record and its lock) split across two of them.
TEST(EtcdWatchCursor, ABacklogMovesTheResumeRevisionOnlyAtALastFragment) {
    WatchCursor c = cursor_at_eleven();
    c.begin();
    (void)c.apply(cursor_message(500, {}, k_created_flag));
    EXPECT_FALSE(c.following()) << "revisions 12 to 500 are not reported yet";
    (void)c.apply(cursor_message(500, {12, 50, 100}, k_fragment_flag));
    EXPECT_EQ(c.start_revision(), 12) << "a session ending here resumes before the split revision";
    EXPECT_FALSE(c.progressed());
    (void)c.apply(cursor_message(500, {100, 300}));
    EXPECT_EQ(c.start_revision(), 301);
    EXPECT_TRUE(c.progressed());
    EXPECT_FALSE(c.following()) << "the header says 500, but events up to 300 only are reported";
    (void)c.apply(cursor_message(500, {301, 500}, k_fragment_flag));
    EXPECT_FALSE(c.following());
    (void)c.apply(cursor_message(500, {500}));
    EXPECT_TRUE(c.following());
    EXPECT_EQ(c.start_revision(), 501);
}

// A message etcd sends again and again, which the session never gets past.
TEST(EtcdWatchCursor, ASessionEndingWhereItBeganHasNotProgressed) {
    WatchCursor c = cursor_at_eleven();
    for (int session = 0; session < 3; ++session) {
        c.begin();
        (void)c.apply(cursor_message(5000, {}, k_created_flag));
        (void)c.apply(cursor_message(5000, {12, 400}, k_fragment_flag));
        EXPECT_TRUE(c.created());
        EXPECT_FALSE(c.progressed()) << session;
        EXPECT_FALSE(c.following()) << session;
        EXPECT_EQ(c.start_revision(), 12) << session;
    }
}

// The watch's keys were quiet while others changed: a progress notification
// (a message without events) says every change up to its revision was sent.
TEST(EtcdWatchCursor, AProgressNotificationCatchesUpAWatchWithNothingToReport) {
    WatchCursor c = cursor_at_eleven();
    c.begin();
    (void)c.apply(cursor_message(20, {}, k_created_flag));
    EXPECT_FALSE(c.following());
    (void)c.apply(cursor_message(25, {}));
    EXPECT_TRUE(c.following());
    EXPECT_TRUE(c.progressed());
    EXPECT_EQ(c.start_revision(), 26);
}

TEST(EtcdWatchCursor, ACompactionEndsTheWatchAndTheNextStartsFromNow) {
    WatchCursor c = cursor_at_eleven();
    c.begin();
    (void)c.apply(cursor_message(900, {}, k_created_flag));
    const auto step = c.apply(cursor_message(900, {}, R"(,"canceled":true,"compact_revision":"700")"));
    EXPECT_TRUE(step.end);
    EXPECT_FALSE(c.following());
    EXPECT_EQ(c.start_revision(), 0);
    c.begin();
    EXPECT_EQ(c.apply(cursor_message(950, {}, k_created_flag)).resync, 950);
    EXPECT_TRUE(c.following());
}

}  // namespace
}  // namespace credctl::etcd
