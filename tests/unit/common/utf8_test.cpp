#include "common/text/utf8.hpp"

#include <gtest/gtest.h>

namespace credctl::text {
namespace {

constexpr std::string_view k_replacement = "\xef\xbf\xbd";  // U+FFFD

TEST(Utf8, SequencesAreValidAsRfc3629SaysAndNoOtherwise) {
    EXPECT_EQ(utf8_sequence("\xc3\xa9", 0), 2u);
    EXPECT_EQ(utf8_sequence("\xe2\x82\xac", 0), 3u);
    EXPECT_EQ(utf8_sequence("\xf0\x9f\x94\x91", 0), 4u);
    EXPECT_EQ(utf8_sequence("\xf4\x8f\xbf\xbf", 0), 4u);  // U+10FFFF
    EXPECT_EQ(utf8_sequence("a", 0), 0u);                 // ASCII: the caller's
    EXPECT_EQ(utf8_sequence("\xc0\xaf", 0), 0u);          // overlong
    EXPECT_EQ(utf8_sequence("\xe0\x80\xaf", 0), 0u);      // overlong
    EXPECT_EQ(utf8_sequence("\xed\xa0\x80", 0), 0u);      // a surrogate
    EXPECT_EQ(utf8_sequence("\xf4\x90\x80\x80", 0), 0u);  // above U+10FFFF
    EXPECT_EQ(utf8_sequence("\xe2\x82", 0), 0u);          // cut short
    EXPECT_EQ(utf8_sequence("\x80", 0), 0u);              // a continuation alone
    EXPECT_EQ(utf8_sequence("x\xc3\xa9", 1), 2u);
}

TEST(Utf8, C1ControlsAreU0080ToU009F) {
    EXPECT_TRUE(c1_control("\xc2\x80", 0, 2));
    EXPECT_TRUE(c1_control("\xc2\x9b", 0, 2));
    EXPECT_FALSE(c1_control("\xc2\xa0", 0, 2));
    EXPECT_FALSE(c1_control("\xc3\x80", 0, 2));
}

TEST(Utf8, ValidTextIsKeptAndEachBadByteReplaced) {
    EXPECT_EQ(valid_utf8(""), "");
    EXPECT_EQ(valid_utf8("/usr/bin/caf\xc3\xa9 \xf0\x9f\x94\x91"), "/usr/bin/caf\xc3\xa9 \xf0\x9f\x94\x91");
    EXPECT_EQ(valid_utf8("\x7f\xc2\x9b"), "\x7f\xc2\x9b");  // controls are text here: escaping is the writer's
    EXPECT_EQ(valid_utf8("/x/\xff/y"), "/x/" + std::string(k_replacement) + "/y");
    EXPECT_EQ(valid_utf8("\xc0\xaf"), std::string(k_replacement) + std::string(k_replacement));
    EXPECT_EQ(valid_utf8("ab\xe2\x82"), "ab" + std::string(k_replacement) + std::string(k_replacement));
    EXPECT_EQ(valid_utf8("\xe2\x82\xac\xe2"), "\xe2\x82\xac" + std::string(k_replacement));
}

}  // namespace
}  // namespace credctl::text
