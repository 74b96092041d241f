#include "daemon/server/admission.hpp"

#include <gtest/gtest.h>

namespace credctl::server {
namespace {

using Verdict = Admission::Verdict;

TEST(Admission, ConnectionsOverTheUidLimitWaitAndTakeFreedSlotsInOrder) {
    Admission a(10, 2, 100);
    Admission::Ticket t1 = 0, t2 = 0;
    EXPECT_EQ(a.arrive(1000, &t1), Verdict::serve);
    EXPECT_EQ(a.arrive(1000, &t1), Verdict::serve);
    EXPECT_EQ(a.arrive(1000, &t1), Verdict::wait);
    EXPECT_EQ(a.arrive(1000, &t2), Verdict::wait);
    EXPECT_NE(t1, t2);
    EXPECT_EQ(a.served(), 2U);
    EXPECT_EQ(a.waiting(), 2U);
    EXPECT_EQ(a.leave(1000), t1);  // the oldest waiter takes the slot
    EXPECT_EQ(a.served(), 2U);
    EXPECT_EQ(a.waiting(), 1U);
    EXPECT_EQ(a.leave(1000), t2);
    EXPECT_EQ(a.leave(1000), std::nullopt);
    EXPECT_EQ(a.leave(1000), std::nullopt);
    EXPECT_EQ(a.served(), 0U);
    EXPECT_EQ(a.waiting(), 0U);
}

TEST(Admission, OneUidWaitingDoesNotDelayAnotherUid) {
    Admission a(10, 2, 100);
    Admission::Ticket t = 0;
    for (int i = 0; i < 2; ++i) EXPECT_EQ(a.arrive(1000, &t), Verdict::serve);
    for (int i = 0; i < 50; ++i) EXPECT_EQ(a.arrive(1000, &t), Verdict::wait);
    EXPECT_EQ(a.arrive(2000, &t), Verdict::serve);
    EXPECT_EQ(a.served(), 3U);
}

TEST(Admission, ANewcomerQueuesBehindWaitersOfItsUid) {
    Admission a(10, 1, 100);
    Admission::Ticket first = 0, second = 0;
    EXPECT_EQ(a.arrive(1000, &first), Verdict::serve);
    EXPECT_EQ(a.arrive(1000, &first), Verdict::wait);
    EXPECT_EQ(a.arrive(1000, &second), Verdict::wait);
    a.give_up(1000, first);
    EXPECT_EQ(a.waiting(), 1U);
    EXPECT_EQ(a.leave(1000), second);
}

TEST(Admission, RefusesWhenTheTotalIsServedOrTheWaitingRoomIsFull) {
    Admission a(2, 1, 1);
    Admission::Ticket t = 0;
    EXPECT_EQ(a.arrive(1, &t), Verdict::serve);
    EXPECT_EQ(a.arrive(2, &t), Verdict::serve);
    EXPECT_EQ(a.arrive(3, &t), Verdict::refuse);  // the total is served
    EXPECT_EQ(a.arrive(1, &t), Verdict::wait);
    EXPECT_EQ(a.arrive(2, &t), Verdict::refuse);  // the waiting room is full
    EXPECT_EQ(a.served(), 2U);
    EXPECT_EQ(a.waiting(), 1U);
}

TEST(Admission, AWaiterThatGivesUpIsNoLongerCounted) {
    Admission a(10, 1, 10);
    Admission::Ticket t = 0;
    EXPECT_EQ(a.arrive(7, &t), Verdict::serve);
    EXPECT_EQ(a.arrive(7, &t), Verdict::wait);
    a.give_up(7, t);
    EXPECT_EQ(a.waiting(), 0U);
    EXPECT_EQ(a.leave(7), std::nullopt);
    EXPECT_EQ(a.served(), 0U);
    EXPECT_EQ(a.arrive(7, &t), Verdict::serve);
}

}  // namespace
}  // namespace credctl::server
