#include "daemon/audit/line_limiter.hpp"

#include "support/stepped_clock.hpp"

#include <gtest/gtest.h>

#include <chrono>

namespace credctl::audit {
namespace {

using namespace std::chrono_literals;

using test::SteppedClock;

int admitted(LineLimiter& l, uid_t uid, int tries) {
    int n = 0;
    for (int i = 0; i < tries; ++i) n += l.admit(uid) ? 1 : 0;
    return n;
}

TEST(LineLimiter, AdmitsABurstThenCountsTheRest) {
    SteppedClock t;
    LineLimiter l({3, 1, 16}, t.clock());
    EXPECT_FALSE(l.pending());
    EXPECT_EQ(admitted(l, 1001, 10), 3);
    EXPECT_TRUE(l.pending());
    const auto counts = l.take();
    ASSERT_EQ(counts.size(), 1U);
    EXPECT_EQ(counts[0].uid, 1001U);
    EXPECT_EQ(counts[0].count, 7U);
    EXPECT_FALSE(l.pending());
    EXPECT_TRUE(l.take().empty()) << "counts are reported once";
}

TEST(LineLimiter, RefillsAtTheConfiguredRate) {
    SteppedClock t;
    LineLimiter l({2, 4, 16}, t.clock());
    EXPECT_EQ(admitted(l, 1001, 5), 2);
    t.now += 100ms;  // 0.4 of a line
    EXPECT_FALSE(l.admit(1001));
    t.now += 150ms;  // 1.0
    EXPECT_TRUE(l.admit(1001));
    EXPECT_FALSE(l.admit(1001));
    t.now += 10s;  // refilled to the burst, not beyond
    EXPECT_EQ(admitted(l, 1001, 10), 2);
}

TEST(LineLimiter, EachUidHasItsOwnBucket) {
    SteppedClock t;
    LineLimiter l({2, 1, 16}, t.clock());
    EXPECT_EQ(admitted(l, 1001, 50), 2);
    EXPECT_EQ(admitted(l, 1002, 3), 2) << "a flooding uid does not use up another's lines";
    const auto counts = l.take();
    ASSERT_EQ(counts.size(), 2U);
    EXPECT_EQ(counts[0].uid, 1001U);
    EXPECT_EQ(counts[0].count, 48U);
    EXPECT_EQ(counts[1].uid, 1002U);
    EXPECT_EQ(counts[1].count, 1U);
}

TEST(LineLimiter, IdleBucketsAreDroppedByTake) {
    SteppedClock t;
    LineLimiter l({2, 1, 16}, t.clock());
    EXPECT_EQ(admitted(l, 1001, 5), 2);
    EXPECT_EQ(admitted(l, 1002, 1), 1);
    EXPECT_EQ(l.tracked(), 2U);
    t.now += 1s;
    (void)l.take();
    EXPECT_EQ(l.tracked(), 1U) << "1002 is full again and counted nothing; 1001 is not full yet";
    t.now += 1s;
    (void)l.take();
    EXPECT_EQ(l.tracked(), 0U);
}

TEST(LineLimiter, TableIsBoundedAndLateUidsShareOneBucket) {
    SteppedClock t;
    LineLimiter l({2, 1, 4}, t.clock());
    for (uid_t uid = 1; uid <= 4; ++uid) EXPECT_EQ(admitted(l, uid, 3), 2);
    // The table is full of buckets with counts: every other uid shares one.
    int shared = 0;
    for (uid_t uid = 100; uid < 10100; ++uid) shared += l.admit(uid) ? 1 : 0;
    EXPECT_EQ(shared, 2);
    EXPECT_EQ(l.tracked(), 4U);
    const auto counts = l.take();
    ASSERT_EQ(counts.size(), 5U);
    EXPECT_FALSE(counts.back().uid.has_value());
    EXPECT_EQ(counts.back().count, 9998U);
}

TEST(LineLimiter, ALineCostsOnePerKibStarted) {
    EXPECT_EQ(line_cost(0), 1.0);
    EXPECT_EQ(line_cost(300), 1.0);
    EXPECT_EQ(line_cost(1024), 1.0);
    EXPECT_EQ(line_cost(1025), 2.0);
    EXPECT_EQ(line_cost(4096 * 6), 24.0);
    SteppedClock t;
    LineLimiter l({8, 1, 16}, t.clock());
    EXPECT_TRUE(l.admit(7, 4.0));
    EXPECT_TRUE(l.admit(7, 4.0));
    EXPECT_FALSE(l.admit(7, 4.0)) << "two long lines take the burst of eight short ones";
    EXPECT_FALSE(l.admit(7, 1.0));
}

TEST(LineLimiter, ALineChargedToAUidComesFromItsBudgetDownToOneBurstBelow) {
    SteppedClock t;
    LineLimiter l({4, 1, 16}, t.clock());
    l.charge(7, 100.0);
    EXPECT_FALSE(l.admit(7));
    t.now += 4s;  // from -4 back to 0
    EXPECT_FALSE(l.admit(7)) << "the charge goes one burst below empty, no further";
    t.now += 1s;
    EXPECT_TRUE(l.admit(7));
    l.charge(std::nullopt, 1.0);  // the overflow bucket's own
    EXPECT_TRUE(l.admit(8)) << "another uid's budget is its own";
}

TEST(LineLimiter, ATallysExecutableIsCutAtACharacter) {
    SteppedClock t;
    LineLimiter l({1, 1, 16}, t.clock());
    EXPECT_TRUE(l.admit(7, 1.0, "/bin/x", "credentials/a/b", "credentials:token"));
    // 255 bytes, then a two-byte character across the cut at 256.
    const std::string exe = "/" + std::string(254, 'x') + "\xc3\xa9" + std::string(100, 'y');
    EXPECT_FALSE(l.admit(7, 1.0, exe, "credentials/a/b", "credentials:token"));
    const auto counts = l.take();
    ASSERT_EQ(counts.size(), 1U);
    ASSERT_EQ(counts[0].tallies.size(), 1U);
    EXPECT_EQ(counts[0].tallies[0].exe, "/" + std::string(254, 'x') + "...");
}

// A run of continuation bytes longer than a character's is no character:
// the cut backs over at most three, and the path is kept up to 256 bytes.
TEST(LineLimiter, ATallysExecutableOfContinuationBytesIsStillCutAt256) {
    SteppedClock t;
    LineLimiter l({1, 1, 16}, t.clock());
    EXPECT_TRUE(l.admit(7, 1.0, "/bin/x", "credentials/a/b", "credentials:token"));
    const std::string exe = "/" + std::string(300, '\x80');
    EXPECT_FALSE(l.admit(7, 1.0, exe, "credentials/a/b", "credentials:token"));
    const auto counts = l.take();
    ASSERT_EQ(counts.size(), 1U);
    ASSERT_EQ(counts[0].tallies.size(), 1U);
    EXPECT_EQ(counts[0].tallies[0].exe, exe.substr(0, 256) + "...");
}

TEST(LineLimiter, AFullTableMakesRoomByDroppingIdleBuckets) {
    SteppedClock t;
    LineLimiter l({2, 1, 2}, t.clock());
    EXPECT_TRUE(l.admit(1));
    EXPECT_TRUE(l.admit(2));
    t.now += 2s;  // both full again
    EXPECT_EQ(admitted(l, 3, 5), 2);
    const auto counts = l.take();
    ASSERT_EQ(counts.size(), 1U);
    EXPECT_EQ(counts[0].uid, 3U) << "uid 3 got a bucket of its own, not the overflow";
}

}  // namespace
}  // namespace credctl::audit
