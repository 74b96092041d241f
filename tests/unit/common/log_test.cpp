#include "common/log/log.hpp"

#include <fcntl.h>
#include <unistd.h>

#include "support/capture.hpp"

#include <gtest/gtest.h>

#include <array>
#include <string>
#include <vector>

namespace credctl::log {
namespace {

using test::capture_stderr;

TEST(Log, WriteLinesPrefixesEachLineAndWritesThemAtOnce) {
    const std::string lines = "{\"a\":1}\n{\"b\":2}\n{\"c\":3}\n";
    auto c = capture_stderr([&] { write_lines(Level::info, "audit ", lines); });
    EXPECT_EQ(c.text, "<6>audit {\"a\":1}\n<6>audit {\"b\":2}\n<6>audit {\"c\":3}\n");
    EXPECT_EQ(c.reads, 1);
    // The last line's newline may be missing; an empty line stays a line.
    c = capture_stderr([&] { write_lines(Level::info, "audit ", "x\n\ny"); });
    EXPECT_EQ(c.text, "<6>audit x\n<6>audit \n<6>audit y\n");
}

TEST(Log, WriteKeepsAMessageOnOneLineWithItsControlsEscaped) {
    // A provider's error as credd logs it (daemon/tokens/upstream.cpp).
    const std::string failure = "bad\x1b]0;T\x07\r\n<0>FORGED-LOG-LINE";
    auto c = capture_stderr([&] { write(Level::warning, "refresh at provider p failed (" + failure + ")"); });
    EXPECT_EQ(c.text, "<4>refresh at provider p failed (bad\\x1b]0;T\\x07\\x0d\\x0a<0>FORGED-LOG-LINE)\n");
    EXPECT_EQ(c.reads, 1);
    c = capture_stderr([&] {
        info(
            "caf\xc3\xa9 \xc2\x9b"
            "2J");
    });
    EXPECT_EQ(c.text, "<6>caf\xc3\xa9 \\xc2\\x9b2J\n");
}

TEST(Log, WriteLinesEscapesWhatIsInsideEachLine) {
    auto c = capture_stderr([&] { write_lines(Level::info, "audit ", "{\"a\":\"\x7f\r\"}\n{\"b\":\"\xc2\x9d\"}\n"); });
    EXPECT_EQ(c.text, "<6>audit {\"a\":\"\\x7f\\x0d\"}\n<6>audit {\"b\":\"\\xc2\\x9d\"}\n");
}

TEST(Log, WriteLinesBelowTheThresholdOrWithNothingWritesNothing) {
    const std::string lines = "x\n";
    set_threshold(Level::warning);
    auto c = capture_stderr([&] { write_lines(Level::info, "audit ", lines); });
    set_threshold(Level::info);
    EXPECT_EQ(c.text, "");
    c = capture_stderr([&] { write_lines(Level::info, "audit ", {}); });
    EXPECT_EQ(c.text, "");
}

}  // namespace
}  // namespace credctl::log
