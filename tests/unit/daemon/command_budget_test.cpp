// CommandBudget: five commands in a row per user, then one per refill;
// users apart; a bucket whole again is dropped. A stepped clock.
#include "daemon/notify/command_budget.hpp"

#include <gtest/gtest.h>

namespace credctl::notify {
namespace {

using namespace std::chrono_literals;

class CommandBudgetTest : public ::testing::Test {
protected:
    CommandBudget::TimePoint now_{};
    CommandBudget budget_{5, 600s, [this] { return now_; }};

    int taken(const std::string& user, int asks) {
        int n = 0;
        for (int i = 0; i < asks; ++i) n += budget_.take(user) ? 1 : 0;
        return n;
    }
};

TEST_F(CommandBudgetTest, AUserHasFiveInARowThenOnePerRefill) {
    EXPECT_EQ(taken("mallory", 20), 5);
    now_ += 599s;
    EXPECT_EQ(taken("mallory", 3), 0);
    now_ += 1s;
    EXPECT_EQ(taken("mallory", 3), 1);
    now_ += 1800s;
    EXPECT_EQ(taken("mallory", 5), 3);
}

TEST_F(CommandBudgetTest, OneUsersSpentBudgetLeavesAnothersWhole) {
    EXPECT_EQ(taken("mallory", 20), 5);
    EXPECT_EQ(taken("alice", 5), 5);
    EXPECT_EQ(budget_.tracked(), 2U);
}

TEST_F(CommandBudgetTest, ABudgetWholeAgainIsForgotten) {
    EXPECT_EQ(taken("mallory", 2), 2);
    EXPECT_EQ(budget_.tracked(), 1U);
    now_ += 1200s;
    EXPECT_EQ(taken("alice", 1), 1);
    EXPECT_EQ(budget_.tracked(), 1U) << "mallory's whole bucket is still kept";
}

}  // namespace
}  // namespace credctl::notify
