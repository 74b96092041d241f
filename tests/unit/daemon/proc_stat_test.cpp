#include "daemon/peer/proc_stat.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

namespace credctl::peer {
namespace {

// A line of /proc/<pid>/stat with `comm` as the command name and 4242 as
// field 22 (starttime).
std::string stat_line(const std::string& comm) {
    return "1234 (" + comm + ") S 1 1234 1234 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 4242 1000 200 " +
           "18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0\n";
}

TEST(ProcStat, StartTimeIsField22) {
    EXPECT_EQ(start_time_from_stat(stat_line("bash")), "4242");
}

TEST(ProcStat, CommandNameWithSpacesAndParenthesesIsSkippedWhole) {
    EXPECT_EQ(start_time_from_stat(stat_line("a) (b ) 1 2 3")), "4242");
    EXPECT_EQ(start_time_from_stat(stat_line("x\ny")), "4242");
}

TEST(ProcStat, OwnProcessHasAStartTime) {
    std::ifstream in("/proc/self/stat");
    std::ostringstream text;
    text << in.rdbuf();
    const auto t = start_time_from_stat(text.str());
    ASSERT_TRUE(t.has_value());
    EXPECT_NE(t->find_first_of("0123456789"), std::string::npos);
}

TEST(ProcStat, TextEndingAtTheCommandNameHasNoStartTime) {
    // The former parser threw std::out_of_range here, out of credd's session.
    EXPECT_EQ(start_time_from_stat("1 (x)"), std::nullopt);
    EXPECT_EQ(start_time_from_stat(")"), std::nullopt);
}

TEST(ProcStat, TooFewFieldsOrNoCommandNameHasNoStartTime) {
    EXPECT_EQ(start_time_from_stat("1 (x) S 1 2 3\n"), std::nullopt);
    EXPECT_EQ(start_time_from_stat("1 x S 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22"), std::nullopt);
    EXPECT_EQ(start_time_from_stat(""), std::nullopt);
}

}  // namespace
}  // namespace credctl::peer
