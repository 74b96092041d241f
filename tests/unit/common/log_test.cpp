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
