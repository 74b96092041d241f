#include "common/text/printable.hpp"

#include <gtest/gtest.h>

#include <string>

namespace credctl::text {
namespace {

TEST(Printable, KeepsPlainTextAndValidUtf8AsItIs) {
    EXPECT_EQ(printable(""), "");
    EXPECT_EQ(printable("invalid_grant (the code expired) \\ ~"), "invalid_grant (the code expired) \\ ~");
    // Two, three and four bytes: é, €, the first and last code points of
    // each length, and U+00A0, the first after the C1 controls.
    const std::string utf8 =
        "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x94\x91 \xc2\xa0 \xdf\xbf \xe0\xa0\x80 \xef\xbf\xbf "
        "\xf0\x90\x80\x80 \xf4\x8f\xbf\xbf";
    EXPECT_EQ(printable(utf8), utf8);
}

TEST(Printable, EscapesTerminalSequencesAndEveryControl) {
    EXPECT_EQ(printable("\x1b]0;TITLE\x07\x1b[2J"), "\\x1b]0;TITLE\\x07\\x1b[2J");
    EXPECT_EQ(printable("a\nb\rc\td"), "a\\x0ab\\x0dc\\x09d");
    EXPECT_EQ(printable(std::string("nul\0end", 7)), "nul\\x00end");
    EXPECT_EQ(printable("\x01\x1f\x7f"), "\\x01\\x1f\\x7f");
}

TEST(Printable, ALogPriorityCannotStartALine) {
    const std::string out = printable("denied\n<0>FORGED-LOG-LINE");
    EXPECT_EQ(out, "denied\\x0a<0>FORGED-LOG-LINE");
    EXPECT_EQ(out.find('\n'), std::string::npos);
}

TEST(Printable, EscapesC1ControlsInTheirUtf8Form) {
    // U+009B is CSI, U+009D OSC, U+0085 NEL (a line break to some readers).
    EXPECT_EQ(printable("\xc2\x9b"
                        "2J \xc2\x9d"
                        "0;T \xc2\x85 \xc2\x80"),
              "\\xc2\\x9b2J \\xc2\\x9d0;T \\xc2\\x85 \\xc2\\x80");
}

TEST(Printable, EscapesBytesThatAreNotValidUtf8) {
    // A lone 8-bit CSI, a lone continuation, a truncated sequence at the end,
    // an overlong '/' and NUL, a surrogate, and above U+10FFFF.
    EXPECT_EQ(printable("\x9b"
                        "2J"),
              "\\x9b2J");
    EXPECT_EQ(printable("a\x80"
                        "b"),
              "a\\x80b");
    EXPECT_EQ(printable("end\xe2\x82"), "end\\xe2\\x82");
    EXPECT_EQ(printable("\xc0\xaf \xc1\x80 \xe0\x80\x80"), "\\xc0\\xaf \\xc1\\x80 \\xe0\\x80\\x80");
    EXPECT_EQ(printable("\xed\xa0\x80"), "\\xed\\xa0\\x80");
    EXPECT_EQ(printable("\xf4\x90\x80\x80 \xf5\x80\x80\x80 \xff"), "\\xf4\\x90\\x80\\x80 \\xf5\\x80\\x80\\x80 \\xff");
    // What follows a bad lead byte is read afresh: here a valid é.
    EXPECT_EQ(printable("\xe2\xc3\xa9"), "\\xe2\xc3\xa9");
}

TEST(Printable, AppendsToWhatIsThere) {
    std::string out = "<4>";
    append_printable(out, "x\x1b");
    EXPECT_EQ(out, "<4>x\\x1b");
}

}  // namespace
}  // namespace credctl::text
