// Structured log events (common/log/structured.hpp): the stderr line and the
// journal's native datagram carry the message id and every field.
#include "common/log/structured.hpp"

#include <gtest/gtest.h>

#include <array>

namespace credctl::log {
namespace {

constexpr std::array<Field, 2> k_fields{{{"CREDCTL_USER", "alice"}, {"CREDCTL_REASON", "invalid_grant"}}};

TEST(StructuredLog, TheLineCarriesTheLevelTheIdAndTheFields) {
    EXPECT_EQ(event_line(Level::warning, "cbcb31fa6d184a078df530745078847b", "credentials/alice/demo needs a login",
                         k_fields),
              "<4>credentials/alice/demo needs a login MESSAGE_ID=cbcb31fa6d184a078df530745078847b "
              "CREDCTL_USER=alice CREDCTL_REASON=invalid_grant\n");
}

TEST(StructuredLog, ValuesWithSpacesOrNewlinesStayOnOneLine) {
    const std::array<Field, 1> f{{{"CREDCTL_COMMAND", "a \"b\"\nc"}}};
    EXPECT_EQ(event_line(Level::error, "26f56b5374d043b5866cc2ab518f9d40", "two\nlines", f),
              "<3>two lines MESSAGE_ID=26f56b5374d043b5866cc2ab518f9d40 CREDCTL_COMMAND=\"a \\\"b\\\" c\"\n");
}

TEST(StructuredLog, ControlsInTheMessageAndFieldsAreEscaped) {
    const std::array<Field, 1> f{{{"CREDCTL_PROVIDER", "p\x1b[2J"}}};
    EXPECT_EQ(event_line(Level::warning, "cbcb31fa6d184a078df530745078847b", "t\x1b]0;T\x07", f),
              "<4>t\\x1b]0;T\\x07 MESSAGE_ID=cbcb31fa6d184a078df530745078847b CREDCTL_PROVIDER=p\\x1b[2J\n");
    const std::string d = journal_datagram(Level::warning, "cbcb31fa6d184a078df530745078847b", "t\x07", f);
    EXPECT_NE(d.find("MESSAGE=t\\x07\nCREDCTL_PROVIDER=p\\x1b[2J\n"), std::string::npos) << d;
}

TEST(StructuredLog, TheJournalDatagramHasOneFieldPerLine) {
    const std::string d =
        journal_datagram(Level::warning, "cbcb31fa6d184a078df530745078847b", "needs\na login", k_fields);
    EXPECT_NE(d.find("PRIORITY=4\n"), std::string::npos) << d;
    EXPECT_NE(d.find("MESSAGE_ID=cbcb31fa6d184a078df530745078847b\n"), std::string::npos) << d;
    EXPECT_NE(d.find("MESSAGE=needs a login\n"), std::string::npos) << d;
    EXPECT_NE(d.find("CREDCTL_USER=alice\nCREDCTL_REASON=invalid_grant\n"), std::string::npos) << d;
    EXPECT_NE(d.find("SYSLOG_IDENTIFIER="), std::string::npos) << d;
}

}  // namespace
}  // namespace credctl::log
