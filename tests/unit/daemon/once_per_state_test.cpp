// OncePerState: an alert fires at most once per credential per state change.
#include "daemon/notify/once_per_state.hpp"

#include <gtest/gtest.h>

#include <initializer_list>
#include <string>

namespace credctl::notify {
namespace {

TEST(OncePerState, FiresTheFirstTimeACredentialIsReportedInAState) {
    OncePerState once;
    EXPECT_TRUE(once.first("alice", "demo", Alert::login_required));
    EXPECT_EQ(once.size(), 1U);
}

// What first() answers when alice's demo credential is reported in each
// state in turn: "1" where it fires, "0" where it stays quiet.
std::string fired(OncePerState& once, std::initializer_list<Alert> reports) {
    std::string out;
    for (Alert a : reports) out += once.first("alice", "demo", a) ? '1' : '0';
    return out;
}

TEST(OncePerState, StaysQuietWhileTheStateIsTheSame) {
    OncePerState once;
    EXPECT_EQ(fired(once, {Alert::login_required, Alert::login_required, Alert::login_required}), "100");
}

TEST(OncePerState, FiresAgainOnlyAfterTheCredentialWasValidAgain) {
    OncePerState once;
    ASSERT_EQ(fired(once, {Alert::login_required}), "1");
    once.clear("alice", "demo");
    EXPECT_EQ(once.size(), 0U);
    EXPECT_EQ(fired(once, {Alert::login_required, Alert::login_required}), "10");
}

TEST(OncePerState, ANewStateIsANewChange) {
    OncePerState once;
    EXPECT_EQ(fired(once, {Alert::provider_unavailable, Alert::provider_unavailable, Alert::login_required,
                           Alert::login_required}),
              "1010");
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
