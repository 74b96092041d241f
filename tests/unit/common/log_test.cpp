#include "common/log/log.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <array>
#include <string>
#include <vector>

namespace credctl::log {
namespace {

// Runs `f` with stderr sent to a pipe; what it wrote, and in how many reads
// the pipe gave it (one write(2) arrives in one read when it fits).
struct Captured {
    std::string text;
    int reads = 0;
};
template <typename F>
Captured capture_stderr(F f) {
    std::array<int, 2> p{};
    EXPECT_EQ(::pipe2(p.data(), O_CLOEXEC), 0);
    const int saved = ::dup(STDERR_FILENO);
    ::dup2(p[1], STDERR_FILENO);
    f();
    ::dup2(saved, STDERR_FILENO);
    ::close(saved);
    ::close(p[1]);
    Captured c;
    std::array<char, 65536> buf{};
    for (ssize_t n; (n = ::read(p[0], buf.data(), buf.size())) > 0; ++c.reads) c.text.append(buf.data(), n);
    ::close(p[0]);
    return c;
}

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
