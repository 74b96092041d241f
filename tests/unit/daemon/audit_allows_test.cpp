// The rate limit of allow lines (audit.hpp, line_limiter.hpp): a uid's
// allows over it are counted by what they were about, a request that
// crosses users is always written, and burst 0 turns the limit off.
#include "daemon/audit/audit.hpp"

#include "support/audit_caller.hpp"
#include "support/capture.hpp"
#include "support/stepped_clock.hpp"
#include "temp_dir.hpp"

#include <gtest/gtest.h>
#include <boost/json/parse.hpp>

#include <algorithm>
#include <cstdint>
#include <memory>
#include <string>

namespace credctl::audit {
namespace {

// An audit log in a fresh directory whose allows are limited to `burst` in
// a row, then `per_second`, on a stepped clock.
struct LimitedLog {
    test::TempDir dir;
    std::string path = dir.file("audit.jsonl");
    test::SteppedClock t;
    std::shared_ptr<AuditLog> log;
    explicit LimitedLog(std::uint32_t burst, std::uint32_t per_second = 1) {
        Settings s;
        s.allows = {burst, per_second, 16};
        auto opened = AuditLog::open(path, s, t.clock());
        if (opened) log = *opened;
    }
};

std::size_t allow_lines_in(const std::string& text) {
    std::size_t n = 0;
    for (std::size_t at = 0; (at = text.find("\"decision\":\"allow\"", at)) != std::string::npos; ++at) ++n;
    return n;
}

// The last line of `text` as JSON.
boost::json::object last_line_of(const std::string& text) {
    const std::size_t start = text.rfind('\n', text.size() - 2);
    return boost::json::parse(text.substr(start == std::string::npos ? 0 : start + 1)).as_object();
}

TEST(AuditAllows, OverTheLimitTheyAreCountedByExecutableResourceAndPermission) {
    LimitedLog l(3);
    ASSERT_TRUE(l.log);
    auto who = test::batch();
    std::size_t written = 0;
    for (int i = 0; i < 6; ++i) {
        written += l.log->append({who, "a", "credentials/batch/github", "credentials:token", true, "", "owner"},
                                 Limit::applies) != 0;
    }
    who.exe = "/usr/bin/curl";
    for (int i = 0; i < 4; ++i) {
        written += l.log->append({who, "a", "credentials/batch/github", "credentials:token", true, "", "owner"},
                                 Limit::applies) != 0;
    }
    EXPECT_EQ(written, 3U);
    ASSERT_TRUE(l.log->schedule_summary()) << "the allows counted are due to be written";
    ASSERT_TRUE(l.log->write_summaries());
    const std::string text = test::slurp(l.path);
    EXPECT_EQ(allow_lines_in(text), 3U);
    const auto v = last_line_of(text);
    EXPECT_EQ(v.at("event").as_string(), "suppressed");
    EXPECT_EQ(v.at("uid").as_int64(), 1001);
    EXPECT_EQ(v.at("allows").as_int64(), 7);
    EXPECT_FALSE(v.contains("denials"));
    const auto& tallies = v.at("tallies").as_array();
    ASSERT_EQ(tallies.size(), 2U) << text;
    EXPECT_EQ(tallies[0].at("exe").as_string(), "/opt/jobs/bin/sync");
    EXPECT_EQ(tallies[0].at("resource").as_string(), "credentials/batch/github");
    EXPECT_EQ(tallies[0].at("permission").as_string(), "credentials:token");
    EXPECT_EQ(tallies[0].at("allows").as_int64(), 3);
    EXPECT_EQ(tallies[1].at("exe").as_string(), "/usr/bin/curl");
    EXPECT_EQ(tallies[1].at("allows").as_int64(), 4);
    EXPECT_EQ(v.at("other_allows").as_int64(), 0);
    EXPECT_EQ(v.at("reason").as_string(),
              "7 more allowed requests of uid 1001 not written (over 3 in a row, then 1 per second)");
}

TEST(AuditAllows, TheLimitRefillsAtItsRate) {
    LimitedLog l(2, 10);
    ASSERT_TRUE(l.log);
    const auto who = test::batch();
    const Record allow{who, "a", "credentials/batch/github", "credentials:token", true, "", "owner"};
    EXPECT_NE(l.log->append(allow, Limit::applies), 0U);
    EXPECT_NE(l.log->append(allow, Limit::applies), 0U);
    EXPECT_EQ(l.log->append(allow, Limit::applies), 0U);
    l.t.now += std::chrono::milliseconds(100);
    EXPECT_NE(l.log->append(allow, Limit::applies), 0U) << "a tenth of a second at 10 a second";
    EXPECT_EQ(l.log->append(allow, Limit::applies), 0U);
}

TEST(AuditAllows, TalliesAreBoundedAndTheRestCountedAsOther) {
    LimitedLog l(1);
    ASSERT_TRUE(l.log);
    const auto who = test::batch();
    for (int i = 0; i < 41; ++i) {
        const std::string resource = "credentials/batch/p" + std::to_string(i);
        (void)l.log->append({who, "a", resource, "credentials:token", true, "", "owner"}, Limit::applies);
    }
    ASSERT_TRUE(l.log->write_summaries());
    const auto v = last_line_of(test::slurp(l.path));
    EXPECT_EQ(v.at("allows").as_int64(), 40);
    EXPECT_EQ(v.at("tallies").as_array().size(), LineLimiter::k_max_tallies);
    EXPECT_EQ(v.at("other_allows").as_int64(), 40 - static_cast<std::int64_t>(LineLimiter::k_max_tallies));
}

TEST(AuditAllows, AnExemptAllowIsAlwaysWritten) {
    LimitedLog l(1);
    ASSERT_TRUE(l.log);
    const auto who = test::batch();
    const Record across{who, "a", "credentials/alice/github", "credentials:token", true, "nightly", "grant"};
    for (int i = 0; i < 50; ++i) EXPECT_NE(l.log->append(across, Limit::exempt), 0U);
    EXPECT_TRUE(l.log->flush());
    EXPECT_EQ(allow_lines_in(test::slurp(l.path)), 50U);
    EXPECT_FALSE(l.log->schedule_summary()) << "nothing counted";
}

TEST(AuditAllows, BurstZeroNeverLimitsThem) {
    LimitedLog l(0);
    ASSERT_TRUE(l.log);
    const auto who = test::batch();
    for (int i = 0; i < 5000; ++i) {
        EXPECT_NE(l.log->append({who, "a", "credentials/batch/github", "credentials:token", true, "", "owner"},
                                Limit::applies),
                  0U);
    }
    EXPECT_TRUE(l.log->flush());
    EXPECT_EQ(allow_lines_in(test::slurp(l.path)), 5000U);
}

// A subordinate uid has no login name, so it owns no credentials: what it
// may be allowed without crossing into a user's credentials is, say, the
// metrics, by a grant.
TEST(AuditAllows, SubordinateUidsShareTheirOwnersLimit) {
    LimitedLog l(5);
    ASSERT_TRUE(l.log);
    std::size_t written = 0;
    for (uid_t uid = 300000; uid < 300100; ++uid) {
        auto who = test::batch();
        who.uid = uid;
        who.user.reset();
        who.subordinate_of = 1001;
        written += l.log->append({who, "a", "metrics", "metrics:read", true, "scrape", "grant"}, Limit::applies) != 0;
    }
    EXPECT_EQ(written, 5U);
    ASSERT_TRUE(l.log->write_summaries());
    const auto v = last_line_of(test::slurp(l.path));
    EXPECT_EQ(v.at("uid").as_int64(), 1001);
    EXPECT_EQ(v.at("allows").as_int64(), 95);
}

// The caller names its executable: a long path must not buy a long line for
// the price of a short one, nor a long "suppressed" line for free.
TEST(AuditAllows, ALongLineCostsOnePerKibAndASummaryIsChargedToItsUid) {
    LimitedLog l(8, 1);
    ASSERT_TRUE(l.log);
    auto who = test::batch();
    who.exe = "/home/m/" + std::string(3000, 'x');  // a line of about 3.3 KiB: 4
    const Record allow{who, "a", "credentials/batch/github", "credentials:token", true, "", "owner"};
    EXPECT_NE(l.log->append(allow, Limit::applies), 0U);
    EXPECT_NE(l.log->append(allow, Limit::applies), 0U);
    EXPECT_EQ(l.log->append(allow, Limit::applies), 0U) << "two long lines take the burst of eight";
    ASSERT_TRUE(l.log->write_summaries());
    const auto v = last_line_of(test::slurp(l.path));
    const std::string exe(v.at("tallies").as_array()[0].at("exe").as_string());
    EXPECT_EQ(exe, "/home/m/" + std::string(248, 'x') + "...") << "cut at 256 bytes";
    l.t.now += std::chrono::seconds(1);  // one short line's refill
    const Record short_one{test::batch(), "a", "credentials/batch/github", "credentials:token", true, "", "owner"};
    EXPECT_EQ(l.log->append(short_one, Limit::applies), 0U) << "the refill went to the summary line";
    l.t.now += std::chrono::seconds(1);
    EXPECT_NE(l.log->append(short_one, Limit::applies), 0U);
}

TEST(AuditAllows, ATallyWithoutExecutableIsNullAndItsTextEscaped) {
    LimitedLog l(1);
    ASSERT_TRUE(l.log);
    auto who = test::batch();
    (void)l.log->append({who, "a", "credentials/batch/x", "credentials:token", true, "", "owner"}, Limit::applies);
    who.exe.reset();
    (void)l.log->append({who, "a", "credentials/batch/x", "credentials:token", true, "", "owner"}, Limit::applies);
    who.exe = "/tmp/\"a\\b\x1b]0;T\x07";
    (void)l.log->append({who, "a", "credentials/batch/x", "credentials:token", true, "", "owner"}, Limit::applies);
    ASSERT_TRUE(l.log->write_summaries());
    const std::string text = test::slurp(l.path);
    EXPECT_EQ(text.find('\x1b'), std::string::npos) << "no raw escape in the file";
    const auto tallies = last_line_of(text).at("tallies").as_array();
    ASSERT_EQ(tallies.size(), 2U);
    EXPECT_TRUE(tallies[0].at("exe").is_null());
    EXPECT_EQ(tallies[1].at("exe").as_string(), "/tmp/\"a\\b\x1b]0;T\x07");
}

}  // namespace
}  // namespace credctl::audit
