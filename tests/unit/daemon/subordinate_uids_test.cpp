#include "daemon/peer/subordinate_uids.hpp"

#include "temp_dir.hpp"

#include <gtest/gtest.h>

#include <map>
#include <string>

namespace credctl::peer {
namespace {

using namespace std::chrono_literals;

// Login names and their uids, as NSS would answer; `asked` counts lookups.
struct FakeOwners {
    std::map<std::string, uid_t> uids{{"alice", 1001}, {"bob", 1002}, {"root", 0}};
    int asked = 0;
    OwnerLookup lookup() {
        return [this](const std::string& name) -> std::optional<uid_t> {
            ++asked;
            auto it = uids.find(name);
            if (it == uids.end()) return std::nullopt;
            return it->second;
        };
    }
};

TEST(SubordinateUids, ParsesNamesAndUidsSkipsWhatIsNotARange) {
    FakeOwners owners;
    std::size_t skipped = 0;
    const auto ranges = parse_subordinate_uids(
        "# ranges\nbob:300000:65536\n\n1001:100000:65536\r\nnobody-here:400000:10\nalice:x:1\nalice:5:0\n"
        "alice:4294967295:1\nalice:4294967290:10\nalice\n",
        owners.lookup(), &skipped);
    ASSERT_EQ(ranges.size(), 2U);
    EXPECT_EQ(ranges[0].first, 100000U);  // sorted by first uid
    EXPECT_EQ(ranges[0].count, 65536U);
    EXPECT_EQ(ranges[0].owner, 1001U);
    EXPECT_EQ(ranges[1].first, 300000U);
    EXPECT_EQ(ranges[1].owner, 1002U);
    EXPECT_EQ(skipped, 6U);
}

class SubordinateUidsFile : public ::testing::Test {
protected:
    test::TempDir dir_;
    FakeOwners owners_;
    std::string path_ = dir_.file("subuid");
    SubordinateUids::Clock::time_point t0_{};
};

TEST_F(SubordinateUidsFile, ASubordinateUidHasItsRangesOwnerAnyOtherNone) {
    dir_.write("subuid", "alice:100000:65536\nbob:165536:65536\n");
    SubordinateUids subuids(path_, owners_.lookup());
    EXPECT_EQ(subuids.owner(100000, t0_), std::optional<uid_t>(1001U));
    EXPECT_EQ(subuids.owner(165535, t0_), std::optional<uid_t>(1001U));
    EXPECT_EQ(subuids.owner(165536, t0_), std::optional<uid_t>(1002U));
    EXPECT_EQ(subuids.owner(231071, t0_), std::optional<uid_t>(1002U));
    EXPECT_EQ(subuids.owner(231072, t0_), std::nullopt);
    EXPECT_EQ(subuids.owner(99999, t0_), std::nullopt);
    EXPECT_EQ(subuids.owner(1001, t0_), std::nullopt);
}

TEST_F(SubordinateUidsFile, OverlappingRangesGoToTheFirstListedAndUidZeroToNoOne) {
    dir_.write("subuid", "bob:100000:100\nalice:0:200000\n");
    SubordinateUids subuids(path_, owners_.lookup());
    EXPECT_EQ(subuids.owner(100050, t0_), std::optional<uid_t>(1002U));
    EXPECT_EQ(subuids.owner(150000, t0_), std::optional<uid_t>(1001U));
    EXPECT_EQ(subuids.owner(0, t0_), std::nullopt);
}

TEST_F(SubordinateUidsFile, AChangedFileCountsWithinASecondAndAnUnchangedOneIsNotReread) {
    SubordinateUids subuids(path_, owners_.lookup());
    EXPECT_EQ(subuids.owner(100000, t0_), std::nullopt);  // no file: no range
    dir_.write("subuid", "alice:100000:10\n");
    EXPECT_EQ(subuids.owner(100000, t0_ + 500ms), std::nullopt);  // not looked at yet
    EXPECT_EQ(subuids.owner(100000, t0_ + 1s), std::optional<uid_t>(1001U));
    EXPECT_EQ(owners_.asked, 1);
    for (int i = 2; i < 10; ++i) EXPECT_EQ(subuids.owner(100005, t0_ + i * 1s), std::optional<uid_t>(1001U));
    EXPECT_EQ(owners_.asked, 1);              // the names are looked up when the file is read only
    dir_.write("subuid", "bob:100000:10\n");  // another size: changed whatever the clock's grain
    EXPECT_EQ(subuids.owner(100000, t0_ + 11s), std::optional<uid_t>(1002U));
    std::filesystem::remove(path_);
    EXPECT_EQ(subuids.owner(100000, t0_ + 12s), std::nullopt);
}

// An owner NSS did not know when the file was read (sssd not answering yet
// at boot) is looked up again later, without a change to the file.
TEST_F(SubordinateUidsFile, AnOwnerUnknownWhenReadIsLookedUpAgainLater) {
    dir_.write("subuid", "carol:100000:10\n");
    SubordinateUids subuids(path_, owners_.lookup());
    EXPECT_EQ(subuids.owner(100000, t0_), std::nullopt);
    owners_.uids["carol"] = 1003;
    EXPECT_EQ(subuids.owner(100000, t0_ + 1s), std::nullopt) << "not before the retry";
    EXPECT_EQ(subuids.owner(100000, t0_ + SubordinateUids::k_retry_unknown), std::optional<uid_t>(1003U));
    const int asked = owners_.asked;
    EXPECT_EQ(subuids.owner(100000, t0_ + 2 * SubordinateUids::k_retry_unknown), std::optional<uid_t>(1003U));
    EXPECT_EQ(owners_.asked, asked) << "known now: not read again";
}

// A uid with a login name of its own is a user, whatever range holds it.
TEST_F(SubordinateUidsFile, AUidWithALoginNameIsNoOnesSubordinateUid) {
    dir_.write("subuid", "alice:100000:65536\n");
    int asked = 0;
    SubordinateUids subuids(path_, owners_.lookup(), [&asked](uid_t uid) {
        ++asked;
        return uid == 100007;
    });
    EXPECT_EQ(subuids.owner(100007, t0_), std::nullopt);
    EXPECT_EQ(subuids.owner(100008, t0_), std::optional<uid_t>(1001U));
    EXPECT_EQ(subuids.owner(5, t0_), std::nullopt);
    EXPECT_EQ(asked, 2) << "asked only for uids in a range";
}

}  // namespace
}  // namespace credctl::peer
