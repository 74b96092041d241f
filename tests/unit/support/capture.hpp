// Reading what code under test wrote: slurp() a whole file, has_line()
// whether a text has a given whole line, and capture_stderr() runs a
// function with stderr sent to a pipe and returns what it wrote and in how
// many reads the pipe gave it (one write(2) arrives in one read when it
// fits). Test-only helpers.
#pragma once

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <array>
#include <fstream>
#include <sstream>
#include <string>

namespace credctl::test {

inline bool has_line(const std::string& text, const std::string& line) {
    return ("\n" + text).find("\n" + line + "\n") != std::string::npos;
}

inline std::string slurp(const std::string& path) {
    std::ifstream in(path);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

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

}  // namespace credctl::test
