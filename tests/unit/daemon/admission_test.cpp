#include "daemon/server/admission.hpp"

#include <gtest/gtest.h>

#include <initializer_list>
#include <string>

namespace credctl::server {
namespace {

using Verdict = Admission::Verdict;

// The verdicts of one arrival per uid of `uids`, in order, as
// "serve wait refuse"; the ticket of a waiter lands in `ticket`.
std::string arrivals(Admission& a, std::initializer_list<uid_t> uids, Admission::Ticket* ticket) {
    std::string out;
    for (uid_t uid : uids) {
        const Verdict v = a.arrive(uid, ticket);
        out += out.empty() ? "" : " ";
        out += v == Verdict::serve ? "serve" : v == Verdict::wait ? "wait" : "refuse";
    }
    return out;
}

std::string counts(const Admission& a) {
    return std::to_string(a.served()) + " served, " + std::to_string(a.waiting()) + " waiting";
}

TEST(Admission, ConnectionsOverTheUidLimitWaitAndTakeFreedSlotsInOrder) {
    Admission a(10, 2, 100);
    Admission::Ticket t1 = 0, t2 = 0;
    EXPECT_EQ(arrivals(a, {1000, 1000, 1000}, &t1), "serve serve wait");
    EXPECT_EQ(arrivals(a, {1000}, &t2), "wait");
    EXPECT_NE(t1, t2);
    EXPECT_EQ(counts(a), "2 served, 2 waiting");
    EXPECT_EQ(a.leave(1000), t1);  // the oldest waiter takes the slot
    EXPECT_EQ(counts(a), "2 served, 1 waiting");
    EXPECT_EQ(a.leave(1000), t2);
    EXPECT_EQ(a.leave(1000), std::nullopt);
    EXPECT_EQ(a.leave(1000), std::nullopt);
    EXPECT_EQ(counts(a), "0 served, 0 waiting");
}

TEST(Admission, OneUidWaitingDoesNotDelayAnotherUid) {
    Admission a(60, 2, 100);
    Admission::Ticket t = 0;
    EXPECT_EQ(arrivals(a, {1000, 1000}, &t), "serve serve");
    for (int i = 0; i < 50; ++i) EXPECT_EQ(a.arrive(1000, &t), Verdict::wait);
    EXPECT_EQ(arrivals(a, {2000}, &t), "serve");
    EXPECT_EQ(a.served(), 3U);
}

TEST(Admission, ANewcomerQueuesBehindWaitersOfItsUid) {
    Admission a(10, 1, 100);
    Admission::Ticket first = 0, second = 0;
    EXPECT_EQ(arrivals(a, {1000, 1000}, &first), "serve wait");
    EXPECT_EQ(arrivals(a, {1000}, &second), "wait");
    a.give_up(1000, first);
    EXPECT_EQ(a.waiting(), 1U);
    EXPECT_EQ(a.leave(1000), second);
}

TEST(Admission, RefusesWhenTheTotalIsServedOrTheWaitingRoomIsFull) {
    Admission a(2, 1, 1);
    Admission::Ticket t = 0;
    // uid 3: the total is served; the second uid 2: the waiting room is full.
    EXPECT_EQ(arrivals(a, {1, 2, 3, 1, 2}, &t), "serve serve refuse wait refuse");
    EXPECT_EQ(counts(a), "2 served, 1 waiting");
}

// One uid waits with at most as many connections as are served in all
// (here 3); another uid still waits for its own slot.
TEST(Admission, OneUidWaitsWithAtMostTheServedTotal) {
    Admission a(3, 1, 100);
    Admission::Ticket t = 0;
    EXPECT_EQ(arrivals(a, {1, 1, 1, 1, 1}, &t), "serve wait wait wait refuse");
    EXPECT_EQ(arrivals(a, {2, 2}, &t), "serve wait");
    EXPECT_EQ(counts(a), "2 served, 4 waiting");
    EXPECT_NE(a.leave(1), std::nullopt);  // a waiter of uid 1 takes the slot: one more may wait
    EXPECT_EQ(arrivals(a, {1, 1}, &t), "wait refuse");
}

TEST(Admission, AWaiterThatGivesUpIsNoLongerCounted) {
    Admission a(10, 1, 10);
    Admission::Ticket t = 0;
    EXPECT_EQ(arrivals(a, {7, 7}, &t), "serve wait");
    a.give_up(7, t);
    EXPECT_EQ(a.waiting(), 0U);
    EXPECT_EQ(a.leave(7), std::nullopt);
    EXPECT_EQ(a.served(), 0U);
    EXPECT_EQ(arrivals(a, {7}, &t), "serve");
}

TEST(Admission, AWaiterThatWaitedTooLongIsToldItsUidsLimitAndTheWait) {
    const Admission a(10, 3, 10);
    const Error e = a.waited_too_long(1001, std::chrono::seconds(25));
    EXPECT_EQ(e.code, Errc::too_many_requests);
    EXPECT_EQ(e.message, "uid 1001 has 3 connections served and none ended within 25 s; try again later");
}

TEST(Admission, AdministratorsHaveAReserveWhenOthersHoldEverySlot) {
    static_assert(Admission::k_reserve == 8);
    Admission a(2, 8, 10, {0, 998});
    Admission::Ticket t = 0;
    EXPECT_EQ(arrivals(a, {1001, 1002, 1003}, &t), "serve serve refuse");
    // Root and credd's uid share 8 slots beyond the 2; no one else has them.
    EXPECT_EQ(arrivals(a, {0, 0, 998, 998, 0, 0}, &t), "serve serve serve serve serve serve");
    EXPECT_EQ(arrivals(a, {1003}, &t), "refuse");
    EXPECT_EQ(arrivals(a, {998, 998, 0}, &t), "serve serve refuse");
    EXPECT_EQ(counts(a), "10 served, 0 waiting");
    // An administrator's per-uid limit still holds: its next connection waits.
    Admission b(10, 1, 10, {0});
    EXPECT_EQ(arrivals(b, {0, 0}, &t), "serve wait");
}

// The subordinate uids of one user (1001) share one limit: four of them
// take two slots, not eight, and the rest wait; the user's own uid keeps
// its own limit.
TEST(Admission, SubordinateUidsOfOneOwnerShareOneLimit) {
    Admission a(8, 2, 100, {0});
    Admission::Ticket t = 0;
    const auto of_1001 = Admission::account_of(100000, 1001);
    for (uid_t uid : {100000U, 100001U, 100002U, 100003U}) {
        EXPECT_EQ(a.arrive(uid, Admission::account_of(uid, 1001), &t), uid < 100002U ? Verdict::serve : Verdict::wait);
    }
    EXPECT_EQ(counts(a), "2 served, 2 waiting");
    EXPECT_EQ(arrivals(a, {1001, 1001, 1002}, &t), "serve serve serve");
    EXPECT_NE(a.leave(of_1001), std::nullopt);  // a waiter of the same owner takes the slot
    EXPECT_EQ(a.waited_too_long(100003, of_1001, std::chrono::seconds(25)).message,
              "the subordinate uids of uid 1001 (uid 100003 among them) have 2 connections served and none ended "
              "within 25 s; try again later");
}

// The reserve is for an administrator's own uid, not for the subordinate
// uids /etc/subuid may give root.
TEST(Admission, RootsSubordinateUidsHaveNoReserve) {
    Admission a(1, 8, 10, {0});
    Admission::Ticket t = 0;
    EXPECT_EQ(arrivals(a, {1001}, &t), "serve");
    EXPECT_EQ(a.arrive(200000, Admission::account_of(200000, 0), &t), Verdict::refuse);
    EXPECT_EQ(arrivals(a, {0}, &t), "serve");
}

}  // namespace
}  // namespace credctl::server
