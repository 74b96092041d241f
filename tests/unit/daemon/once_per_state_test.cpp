// OncePerState: an alert fires at most once per credential per state change.
#include "daemon/notify/once_per_state.hpp"

#include <gtest/gtest.h>

namespace credctl::notify {
namespace {

TEST(OncePerState, FiresTheFirstTimeACredentialIsReportedInAState) {
    OncePerState once;
    EXPECT_TRUE(once.first("alice", "demo", Alert::login_required));
    EXPECT_EQ(once.size(), 1U);
}

TEST(OncePerState, StaysQuietWhileTheStateIsTheSame) {
    OncePerState once;
    ASSERT_TRUE(once.first("alice", "demo", Alert::login_required));
    EXPECT_FALSE(once.first("alice", "demo", Alert::login_required));
    EXPECT_FALSE(once.first("alice", "demo", Alert::login_required));
}

TEST(OncePerState, FiresAgainOnlyAfterTheCredentialWasValidAgain) {
    OncePerState once;
    ASSERT_TRUE(once.first("alice", "demo", Alert::login_required));
    once.clear("alice", "demo");
    EXPECT_EQ(once.size(), 0U);
    EXPECT_TRUE(once.first("alice", "demo", Alert::login_required));
    EXPECT_FALSE(once.first("alice", "demo", Alert::login_required));
}

TEST(OncePerState, ANewStateIsANewChange) {
    OncePerState once;
    ASSERT_TRUE(once.first("alice", "demo", Alert::provider_unavailable));
    EXPECT_FALSE(once.first("alice", "demo", Alert::provider_unavailable));
    EXPECT_TRUE(once.first("alice", "demo", Alert::login_required));
    EXPECT_FALSE(once.first("alice", "demo", Alert::login_required));
}

TEST(OncePerState, CredentialsAreApart) {
    OncePerState once;
    ASSERT_TRUE(once.first("alice", "demo", Alert::login_required));
    EXPECT_TRUE(once.first("bob", "demo", Alert::login_required));
    EXPECT_TRUE(once.first("alice", "corp", Alert::login_required));
    // "a" + "b/c" and "a/b" + "c" are not one key.
    EXPECT_TRUE(once.first("a", "bc", Alert::login_required));
    EXPECT_TRUE(once.first("ab", "c", Alert::login_required));
    once.clear("bob", "demo");
    EXPECT_FALSE(once.first("alice", "demo", Alert::login_required));
}

}  // namespace
}  // namespace credctl::notify
