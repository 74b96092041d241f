#include "daemon/store/record_key.hpp"

#include <gtest/gtest.h>

namespace credctl::store {
namespace {

TEST(RecordKey, IsUserNulProvider) {
    EXPECT_EQ(record_key({"alice", "github"}), std::string("alice\0github", 12));
}

TEST(RecordKey, SplitsBackIntoItsNames) {
    const auto k = split_record_key(record_key({"alice", "github"}));
    ASSERT_TRUE(k.has_value());
    EXPECT_EQ(k->user, "alice");
    EXPECT_EQ(k->provider, "github");
}

TEST(RecordKey, KeyWithoutNulDoesNotSplit) {
    EXPECT_EQ(split_record_key("alicegithub"), std::nullopt);
    EXPECT_EQ(split_record_key(""), std::nullopt);
}

}  // namespace
}  // namespace credctl::store
