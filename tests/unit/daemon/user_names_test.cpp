#include "daemon/peer/user_names.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <map>

namespace credctl::peer {
namespace {

using std::chrono::milliseconds;

// A passwd database the test edits, counting the lookups made in it.
struct FakePasswd {
    std::map<uid_t, std::string> names;
    int lookups = 0;
    UserNames::Lookup lookup() {
        return [this](uid_t uid) -> std::optional<std::string> {
            ++lookups;
            auto it = names.find(uid);
            if (it == names.end()) return std::nullopt;
            return it->second;
        };
    }
};

TEST(UserNames, ANameIsLookedUpOncePerSecond) {
    FakePasswd db{{{1001, "alice"}}};
    UserNames names(db.lookup());
    const auto t0 = UserNames::Clock::now();
    for (int i = 0; i < 1000; ++i) EXPECT_EQ(names.name(1001, t0 + milliseconds(i % 999)), "alice");
    EXPECT_EQ(db.lookups, 1);
}

TEST(UserNames, ARenameShowsOnceTheNameIsASecondOld) {
    FakePasswd db{{{1001, "alice"}}};
    UserNames names(db.lookup());
    const auto t0 = UserNames::Clock::now();
    EXPECT_EQ(names.name(1001, t0), "alice");
    db.names[1001] = "carol";
    EXPECT_EQ(names.name(1001, t0 + milliseconds(999)), "alice");
    EXPECT_EQ(names.name(1001, t0 + UserNames::k_keep), "carol");
    EXPECT_EQ(db.lookups, 2);
}

TEST(UserNames, AUidRemovedHasNoNameOnceItsNameIsASecondOld) {
    FakePasswd db{{{1001, "alice"}}};
    UserNames names(db.lookup());
    const auto t0 = UserNames::Clock::now();
    EXPECT_EQ(names.name(1001, t0), "alice");
    db.names.erase(1001);
    EXPECT_EQ(names.name(1001, t0 + UserNames::k_keep), std::nullopt);
    // The stale name is gone, not kept as a fallback.
    EXPECT_EQ(names.name(1001, t0 + UserNames::k_keep + milliseconds(1)), std::nullopt);
}

// A uid without a name that connects in a loop costs one lookup a second,
// not one per connection (NSS may be LDAP, on the I/O thread); a name
// given to it shows a second later at most, as a rename does.
TEST(UserNames, AUidWithoutANameIsLookedUpOncePerSecondToo) {
    FakePasswd db;
    UserNames names(db.lookup());
    const auto t0 = UserNames::Clock::now();
    for (int i = 0; i < 1000; ++i) EXPECT_EQ(names.name(4242, t0 + milliseconds(i % 999)), std::nullopt);
    EXPECT_EQ(db.lookups, 1);
    db.names[4242] = "dave";
    EXPECT_EQ(names.name(4242, t0 + UserNames::k_keep), "dave");
    EXPECT_EQ(db.lookups, 2);
}

TEST(UserNames, ClearForgetsEveryName) {
    FakePasswd db{{{1001, "alice"}, {1002, "bob"}}};
    UserNames names(db.lookup());
    const auto t0 = UserNames::Clock::now();
    EXPECT_EQ(names.name(1001, t0), "alice");
    EXPECT_EQ(names.name(1002, t0), "bob");
    db.names[1001] = "carol";
    names.clear();
    EXPECT_EQ(names.name(1001, t0 + milliseconds(1)), "carol");
    EXPECT_EQ(names.name(1002, t0 + milliseconds(1)), "bob");
    EXPECT_EQ(db.lookups, 4);
}

TEST(UserNames, UidsAreKeptApartAndTheirNumberIsBounded) {
    FakePasswd db;
    for (uid_t u = 0; u < UserNames::k_capacity + 10; ++u) db.names[u] = "user" + std::to_string(u);
    UserNames names(db.lookup());
    const auto t0 = UserNames::Clock::now();
    for (uid_t u = 0; u < UserNames::k_capacity + 10; ++u) EXPECT_EQ(names.name(u, t0), "user" + std::to_string(u));
    const int after_fill = db.lookups;
    // Past the bound the remembered names were dropped: the first uid is
    // looked up again, the last ones are still remembered.
    EXPECT_EQ(names.name(0, t0), "user0");
    EXPECT_EQ(db.lookups, after_fill + 1);
    EXPECT_EQ(names.name(UserNames::k_capacity + 9, t0), "user" + std::to_string(UserNames::k_capacity + 9));
    EXPECT_EQ(db.lookups, after_fill + 1);
}

TEST(UserNames, TheDefaultLookupIsTheSystemsPasswd) {
    UserNames names;
    const auto root = names.name(0);
    ASSERT_TRUE(root.has_value());
    EXPECT_EQ(*root, "root");
}

}  // namespace
}  // namespace credctl::peer
