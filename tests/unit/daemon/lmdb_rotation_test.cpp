// LmdbStore data-key rotation (including a crash between batches and a
// write during it) and master key replacement.
#include "daemon/store/lmdb_store.hpp"

#include "support/lmdb_fixture.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace credctl::store {
namespace {

// A record read before a rotation and written back during it (a refresh
// marks and commits its record around a provider call) must not carry its
// refresh token's old seal past the retirement of the old key.
TEST_F(LmdbMaintenanceTest, UpdateDuringARotationResealsTheRefreshTokenUnderTheNewKey) {
    auto s = open_filled(300);
    ASSERT_NE(s, nullptr);
    auto rec = s->get({"u0", "p"});
    ASSERT_TRUE(rec.has_value() && rec->has_value());
    ASSERT_TRUE(s->begin_rotation().has_value());
    (*rec)->subject = "written back";
    ASSERT_TRUE(s->update({"u0", "p"}, **rec).has_value());
    for (int i = 0; i < 10; ++i) {
        auto step = s->rotate_batch(100);
        ASSERT_TRUE(step.has_value()) << step.error().message;
        if (step->done) break;
    }
    ASSERT_FALSE(s->rotating());
    auto info = s->info();
    ASSERT_TRUE(info.has_value());
    EXPECT_EQ(info->keys, std::vector<std::uint32_t>{2});
    EXPECT_EQ(refresh_of(*s, {"u0", "p"}), "RT0");
    EXPECT_EQ(refresh_of(*s, {"u299", "p"}), "RT299");
    auto report = s->check();
    ASSERT_TRUE(report.has_value());
    EXPECT_EQ(report->opened, 300u);
    EXPECT_TRUE(report->failures.empty());
}

TEST_F(LmdbMaintenanceTest, RotationResealsEveryRecordAndRetiresTheOldKey) {
    auto s = open_filled(2500);
    ASSERT_NE(s, nullptr);
    auto id = s->begin_rotation();
    ASSERT_TRUE(id.has_value());
    EXPECT_EQ(*id, 2u);
    EXPECT_TRUE(s->rotating());
    ASSERT_TRUE(s->put({"new", "p"}, record_tagged("during"), SecretBytes::from("during"))
                    .has_value());  // writes go on meanwhile
    std::uint64_t resealed = 0;
    int batches = 0;
    for (;;) {
        auto step = s->rotate_batch(1000);
        ASSERT_TRUE(step.has_value()) << step.error().message;
        EXPECT_LE(step->resealed, 1000u);
        resealed += step->resealed;
        ++batches;
        EXPECT_EQ(refresh_of(*s, {"u1234", "p"}), "RT1234");  // reads go on meanwhile
        if (step->done) break;
        ASSERT_LT(batches, 10);
    }
    EXPECT_EQ(resealed, 2500u);
    EXPECT_FALSE(s->rotating());
    auto info = s->info();
    ASSERT_TRUE(info.has_value());
    EXPECT_EQ(info->keys, std::vector<std::uint32_t>{2});
    auto report = s->check();
    ASSERT_TRUE(report.has_value());
    EXPECT_EQ(report->opened, 2501u);
    s.reset();
    auto reopened = open(options());
    ASSERT_NE(reopened, nullptr);
    EXPECT_FALSE(reopened->rotating());
    EXPECT_EQ(refresh_of(*reopened, {"new", "p"}), "during");
    EXPECT_EQ(refresh_of(*reopened, {"u0", "p"}), "RT0");
}

TEST_F(LmdbMaintenanceTest, RotationInterruptedBetweenBatchesResumesAfterReopen) {
    {
        auto s = open_filled(1500);
        ASSERT_NE(s, nullptr);
        ASSERT_TRUE(s->begin_rotation().has_value());
        auto step = s->rotate_batch(500);
        ASSERT_TRUE(step.has_value());
        EXPECT_FALSE(step->done);
    }  // closed mid-rotation, as by a crash: both keys are still stored
    auto s = open(options());
    ASSERT_NE(s, nullptr);
    EXPECT_TRUE(s->rotating());
    auto info = s->info();
    ASSERT_TRUE(info.has_value());
    EXPECT_EQ(info->keys, (std::vector<std::uint32_t>{1, 2}));
    EXPECT_EQ(refresh_of(*s, {"u1499", "p"}), "RT1499");  // still under key 1
    auto again = s->begin_rotation();
    ASSERT_TRUE(again.has_value());
    EXPECT_EQ(*again, 2u) << "a second rotate continues the first";
    for (int i = 0; i < 10; ++i) {
        auto step = s->rotate_batch(500);
        ASSERT_TRUE(step.has_value());
        if (step->done) break;
    }
    EXPECT_FALSE(s->rotating());
    auto report = s->check();
    ASSERT_TRUE(report.has_value());
    EXPECT_EQ(report->opened, 1500u);
}

TEST_F(LmdbMaintenanceTest, RecordUnderARetiredKeyDoesNotOpen) {
    auto s = open_filled(1);
    ASSERT_NE(s, nullptr);
    // Keep a value sealed under key 1, rotate, then put the old value back.
    std::string old_value;
    read_raw(options().directory, "credentials", std::string("u0\0p", 4), old_value);
    ASSERT_TRUE(s->begin_rotation().has_value());
    auto step = s->rotate_batch(100);
    ASSERT_TRUE(step.has_value() && step->done);
    s.reset();
    rewrite_raw(options().directory, "credentials", std::string("u0\0p", 4),
                [&](const std::string&) { return old_value; });
    s = open(options());
    ASSERT_NE(s, nullptr);
    EXPECT_EQ(refresh_of(*s, {"u0", "p"}), "error: store: credential u0/p: record is sealed under unknown key id 1");
}

TEST_F(LmdbMaintenanceTest, ReplacedMasterKeyOpensTheStoreAndTheOldOneNoLonger) {
    {
        auto s = open(options(), 1);
        ASSERT_NE(s, nullptr);
        fill(*s, 10);
        auto same = s->replace_master_key(key_of(1));
        ASSERT_FALSE(same.has_value());
        EXPECT_EQ(same.error().code, Errc::bad_request);
        ASSERT_TRUE(s->replace_master_key(key_of(9)).has_value());
        EXPECT_EQ(refresh_of(*s, {"u3", "p"}), "RT3");
        ASSERT_TRUE(s->put({"after", "p"}, record_tagged("A"), SecretBytes::from("A")).has_value());
    }
    auto old_key = LmdbStore::open(options(), Sealer(key_of(1)));
    ASSERT_FALSE(old_key.has_value());
    EXPECT_EQ(old_key.error().message, "master key does not match this store");
    auto s = open(options(), 9);
    ASSERT_NE(s, nullptr);
    EXPECT_EQ(refresh_of(*s, {"u3", "p"}), "RT3");
    EXPECT_EQ(refresh_of(*s, {"after", "p"}), "A");
}

}  // namespace
}  // namespace credctl::store
