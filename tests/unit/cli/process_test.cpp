// credctl's error line (cli/process.cpp) and tables (cli/output/table.hpp):
// what they print of text that came from a provider or credd.
#include "cli/entry.hpp"
#include "cli/output/table.hpp"

#include "support/capture.hpp"

#include <gtest/gtest.h>

#include <sstream>
#include <string>

namespace credctl::cli {
namespace {

TEST(ErrorLine, EscapesTerminalSequencesFromAProvider) {
    const std::string line = error_line(
        "provider p refused: bad\x1b]0;TITLE\x07\x1b[2J\xc2\x9b"
        "2J");
    EXPECT_EQ(line, "credctl: provider p refused: bad\\x1b]0;TITLE\\x07\\x1b[2J\\xc2\\x9b2J\n");
}

TEST(ErrorLine, NoLineOfTheMessageStartsALineOfItsOwn) {
    EXPECT_EQ(error_line("bad\r\n<0>FORGED"), "credctl: bad\\x0d\n  <0>FORGED\n");
    // A hint of several lines keeps them.
    EXPECT_EQ(error_line("cannot reach credd at /s: refused\nStart a daemon:\n  per-user: credd --user &"),
              "credctl: cannot reach credd at /s: refused\n  Start a daemon:\n    per-user: credd --user &\n");
    EXPECT_EQ(error_line("caf\xc3\xa9"), "credctl: caf\xc3\xa9\n");
}

TEST(ErrorLine, FinishWritesItAndReturnsTheExitStatus) {
    int status = -1;
    const auto c =
        test::capture_stderr([&] { status = finish(make_error(Errc::provider_unavailable, "x\x1b[2J\n<0>y")); });
    EXPECT_EQ(c.text, "credctl: x\\x1b[2J\n  <0>y\n");
    EXPECT_EQ(status, exit_code(Errc::provider_unavailable));
    EXPECT_EQ(finish({}), 0);
}

TEST(TableText, CellsAreEscapedAndAlignedAsPrinted) {
    Table t({"PROVIDER", "SUBJECT"});
    t.add({"p", "a\x1b]0;T\x07\n<0>b"});
    t.add({"q", "c"});
    std::ostringstream out;
    t.print(out);
    EXPECT_EQ(out.str(),
              "PROVIDER  SUBJECT\n"
              "p         a\\x1b]0;T\\x07\\x0a<0>b\n"
              "q         c\n");
}

}  // namespace
}  // namespace credctl::cli
