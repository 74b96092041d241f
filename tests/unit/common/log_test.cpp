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
    const std::vector<std::string> lines{"{\"a\":1}", "{\"b\":2}", "{\"c\":3}"};
    const auto c = capture_stderr([&] { write_lines(Level::info, "audit ", lines); });
    EXPECT_EQ(c.text, "<6>audit {\"a\":1}\n<6>audit {\"b\":2}\n<6>audit {\"c\":3}\n");
    EXPECT_EQ(c.reads, 1);
}

TEST(Log, WriteLinesBelowTheThresholdOrWithNothingWritesNothing) {
    const std::vector<std::string> lines{"x"};
    set_threshold(Level::warning);
    auto c = capture_stderr([&] { write_lines(Level::info, "audit ", lines); });
    set_threshold(Level::info);
    EXPECT_EQ(c.text, "");
    c = capture_stderr([&] { write_lines(Level::info, "audit ", {}); });
    EXPECT_EQ(c.text, "");
}

}  // namespace
}  // namespace credctl::log
