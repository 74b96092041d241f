#include "daemon/audit/audit.hpp"

#include "support/audit_caller.hpp"
#include "support/capture.hpp"
#include "support/stepped_clock.hpp"
#include "temp_dir.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <boost/json/parse.hpp>

#include <algorithm>
#include <array>
#include <chrono>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace credctl::audit {
namespace {

using test::batch;

using test::slurp;

TEST(Audit, LineHasEveryDocumentedField) {
    const auto who = batch();
    const Record r{who, "00ff", "credentials/alice/github", "credentials:token", true, "nightly", "grant \"nightly\""};
    const auto v = boost::json::parse(to_json_line(r)).as_object();
    for (const char* key : {"time", "request_id", "pid", "uid", "user", "exe", "unit", "resource", "permission",
                            "decision", "grant", "reason"}) {
        EXPECT_TRUE(v.contains(key)) << key;
    }
    EXPECT_EQ(v.at("decision").as_string(), "allow");
    EXPECT_EQ(v.at("pid").as_int64(), 4242);
    EXPECT_EQ(v.at("user").as_string(), "batch");
    EXPECT_TRUE(v.at("unit").is_null());
    EXPECT_EQ(v.at("grant").as_string(), "nightly");
    const std::string time(v.at("time").as_string());
    EXPECT_EQ(time.size(), 24U) << time;  // 2026-11-29T10:02:03.123Z
    EXPECT_EQ(time.back(), 'Z');
}

// "2026-11-29T10:02:03" for `t`, as the audit line's time starts.
std::string utc_second(std::chrono::system_clock::time_point t) {
    const std::time_t secs = std::chrono::system_clock::to_time_t(t);
    std::tm tm{};
    ::gmtime_r(&secs, &tm);
    std::array<char, 32> buf{};
    return std::string(buf.data(), std::strftime(buf.data(), buf.size(), "%Y-%m-%dT%H:%M:%S", &tm));
}

TEST(Audit, TimeFollowsTheClockAcrossSeconds) {
    const auto who = batch();
    const Record r{who, "02", "credentials/alice/github", "credentials:token", true, "nightly", "grant"};
    const std::regex rfc3339(R"(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z)");
    // 1.2 s of lines: at least one second boundary is crossed, and each
    // line names the second it was written in.
    for (int i = 0; i < 5; ++i) {
        const auto before = utc_second(std::chrono::system_clock::now());
        const auto v = boost::json::parse(to_json_line(r)).as_object();
        const auto after = utc_second(std::chrono::system_clock::now());
        const std::string time(v.at("time").as_string());
        EXPECT_TRUE(std::regex_match(time, rfc3339)) << time;
        const std::string second = time.substr(0, 19);
        EXPECT_TRUE(second == before || second == after) << time << " written between " << before << " and " << after;
        std::this_thread::sleep_for(std::chrono::milliseconds(300));
    }
}

TEST(Audit, DenyHasNullGrant) {
    const auto who = batch();
    const Record r{who, "01", "credentials/alice/github", "credentials:token", false, "", "no grant"};
    const auto v = boost::json::parse(to_json_line(r)).as_object();
    EXPECT_EQ(v.at("decision").as_string(), "deny");
    EXPECT_TRUE(v.at("grant").is_null());
}

TEST(Audit, HostileNamesAreEscapedAndFieldsKeepTheirOrder) {
    auto who = batch();
    who.exe = std::string("/tmp/a\"b\\c\nd\x01\xc3\xa9", 13);
    who.unit = "x}{\",\"decision\":\"allow";
    const Record r{who, "02", "credentials/alice/github", "credentials:token", false, "", "reason \"quoted\"\t"};
    const std::string line = to_json_line(r);
    EXPECT_EQ(line.find('\n'), std::string::npos) << "one line per record";
    const auto v = boost::json::parse(line).as_object();
    EXPECT_EQ(v.at("exe").as_string(), *who.exe);
    EXPECT_EQ(v.at("unit").as_string(), *who.unit);
    EXPECT_EQ(v.at("decision").as_string(), "deny");
    EXPECT_EQ(v.at("reason").as_string(), "reason \"quoted\"\t");
    std::vector<std::string> keys;
    for (const auto& kv : v) keys.emplace_back(kv.key());
    const std::vector<std::string> documented{"time", "request_id", "pid",        "uid",      "user",  "exe",
                                              "unit", "resource",   "permission", "decision", "grant", "reason"};
    EXPECT_EQ(keys, documented);
}

TEST(Audit, FileIsCreated0600AndAppendedOneLinePerRecord) {
    test::TempDir dir;
    const std::string path = dir.file("audit.jsonl");
    auto log = AuditLog::open(path);
    ASSERT_TRUE(log) << log.error().message;
    const auto who = batch();
    EXPECT_TRUE((*log)->write({who, "a", "credentials/alice/github", "credentials:token", true, "g", "r"}));
    EXPECT_TRUE((*log)->write({who, "b", "credentials/alice/github", "credentials:token", false, "", "r"}));
    struct stat st {};
    ASSERT_EQ(::stat(path.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 07777, 0600U);
    const std::string text = slurp(path);
    EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 2);
    // Reopening appends; it never truncates.
    auto again = AuditLog::open(path);
    ASSERT_TRUE(again);
    EXPECT_TRUE((*again)->write({who, "c", "credentials/alice/github", "credentials:token", true, "g", "r"}));
    const std::string after = slurp(path);
    EXPECT_EQ(std::count(after.begin(), after.end(), '\n'), 3);
    EXPECT_EQ(after.substr(0, text.size()), text);
}

TEST(Audit, ClosingTheLogFlushesWhatIsQueued) {
    test::TempDir dir;
    const std::string path = dir.file("audit.jsonl");
    const auto who = batch();
    {
        auto log = AuditLog::open(path);
        ASSERT_TRUE(log) << log.error().message;
        (*log)->append({who, "a", "credentials/alice/github", "credentials:token", true, "g", "r"}, Limit::applies);
    }
    EXPECT_NE(slurp(path).find("\"request_id\":\"a\""), std::string::npos);
}

TEST(Audit, ExistingWideFileIsNarrowedTo0600) {
    test::TempDir dir;
    const std::string path = dir.write("audit.jsonl", "");
    ::chmod(path.c_str(), 0644);
    ASSERT_TRUE(AuditLog::open(path));
    struct stat st {};
    ::stat(path.c_str(), &st);
    EXPECT_EQ(st.st_mode & 07777, 0600U);
}

TEST(Audit, WriteToAFullDeviceReportsFailure) {
    auto log = AuditLog::open("/dev/full");
    ASSERT_TRUE(log) << log.error().message;
    const auto who = batch();
    const auto written = (*log)->write({who, "a", "credentials/alice/github", "credentials:token", true, "g", "r"});
    ASSERT_FALSE(written);
    EXPECT_EQ(written.error().code, Errc::internal);
    EXPECT_EQ(written.error().message, "audit log /dev/full cannot be written: No space left on device");
}

TEST(Audit, AFailedFlushReportsFailureAndDropsTheBatch) {
    auto log = AuditLog::open("/dev/full");
    ASSERT_TRUE(log) << log.error().message;
    const auto who = batch();
    const auto a =
        (*log)->append({who, "a", "credentials/alice/github", "credentials:token", true, "g", "r"}, Limit::applies);
    (*log)->append({who, "b", "credentials/alice/github", "credentials:token", true, "g", "r"}, Limit::applies);
    const auto flushed = (*log)->flush();
    ASSERT_FALSE(flushed);
    EXPECT_EQ(flushed.error().message, "audit log /dev/full cannot be written: No space left on device");
    EXPECT_EQ((*log)->queued(), 0U);  // not retried forever
    EXPECT_TRUE((*log)->flushed(a));
}

TEST(Audit, MissingDirectoryIsAnErrorNamingThePath) {
    auto log = AuditLog::open("/nonexistent-dir/audit.jsonl");
    ASSERT_FALSE(log);
    EXPECT_EQ(log.error().message.rfind("cannot open audit log /nonexistent-dir/audit.jsonl: ", 0), 0U)
        << log.error().message;
}

TEST(Audit, DirectoryOthersMayWriteIsRefusedEvenSticky) {
    test::TempDir dir;
    const std::string logs = dir.file("logs");
    ASSERT_EQ(::mkdir(logs.c_str(), 0700), 0);
    ASSERT_EQ(::chmod(logs.c_str(), 01777), 0);
    auto log = AuditLog::open(logs + "/audit.jsonl");
    ASSERT_FALSE(log);
    EXPECT_NE(log.error().message.find("directory " + logs + " (owner uid " + std::to_string(::geteuid()) +
                                       ", mode 1777) is writable by other uids"),
              std::string::npos)
        << log.error().message;
    EXPECT_FALSE(std::filesystem::exists(logs + "/audit.jsonl"));  // refused before it is created
}

TEST(Audit, SymlinkIsRefused) {
    test::TempDir dir;
    const std::string target = dir.write("target", "");
    const std::string link = dir.file("audit.jsonl");
    ASSERT_EQ(::symlink(target.c_str(), link.c_str()), 0);
    EXPECT_FALSE(AuditLog::open(link));
}

TEST(Audit, StderrOnlyLogAlwaysSucceeds) {
    auto log = AuditLog::open("");
    ASSERT_TRUE(log);
    const auto who = batch();
    EXPECT_TRUE((*log)->write({who, "a", "credentials/alice/github", "credentials:token", true, "g", "r"}));
}

using test::SteppedClock;

std::size_t lines_of(const std::string& text) {
    return static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n'));
}

Settings limited(std::uint32_t burst) {
    Settings s;
    s.denials = {burst, 1, 16};
    return s;
}

TEST(Audit, DenialsOverTheLimitAreCountedNotWritten) {
    test::TempDir dir;
    const std::string path = dir.file("audit.jsonl");
    SteppedClock t;
    auto log = AuditLog::open(path, limited(2), t.clock());
    ASSERT_TRUE(log) << log.error().message;
    const auto who = batch();
    const Record deny{who, "d", "credentials/alice/github", "credentials:token", false, "", "no grant"};
    EXPECT_NE((*log)->append(deny, Limit::applies), 0U);
    EXPECT_NE((*log)->append(deny, Limit::applies), 0U);
    for (int i = 0; i < 8; ++i) EXPECT_EQ((*log)->append(deny, Limit::applies), 0U) << "over the burst: no line";
    EXPECT_EQ((*log)->queued(), 2U);
    EXPECT_TRUE((*log)->flush());
    EXPECT_EQ(lines_of(slurp(path)), 2U);
    const auto wait = (*log)->schedule_summary();
    ASSERT_TRUE(wait);
    EXPECT_EQ(*wait, std::chrono::milliseconds(1000));
    EXPECT_FALSE((*log)->schedule_summary()) << "one summary scheduled at a time";
    EXPECT_TRUE((*log)->write_summaries());
    const std::string text = slurp(path);
    ASSERT_EQ(lines_of(text), 3U);
    const std::string last = text.substr(text.rfind('\n', text.size() - 2) + 1);
    const auto v = boost::json::parse(last).as_object();
    EXPECT_EQ(v.at("event").as_string(), "suppressed");
    EXPECT_EQ(v.at("uid").as_int64(), 1001);
    EXPECT_EQ(v.at("denials").as_int64(), 8);
    EXPECT_EQ(v.at("reason").as_string(), "8 more denials of uid 1001 suppressed (over 2 in a row, then 1 per second)");
    EXPECT_FALSE((*log)->schedule_summary()) << "nothing counted since";
}

// Subordinate uids (peer/subordinate_uids.hpp) share their owner's denial
// lines: a hundred of them get the owner's burst, not a hundred bursts.
TEST(Audit, DenialsOfSubordinateUidsCountAsTheirOwners) {
    test::TempDir dir;
    const std::string path = dir.file("audit.jsonl");
    SteppedClock t;
    auto log = AuditLog::open(path, limited(2), t.clock());
    ASSERT_TRUE(log) << log.error().message;
    std::size_t written = 0;
    for (uid_t uid = 300000; uid < 300100; ++uid) {
        auto who = batch();
        who.uid = uid;
        who.subordinate_of = 1001;
        if ((*log)->append({who, "d", "credentials/alice/github", "credentials:token", false, "", "no grant"},
                           Limit::applies) != 0) {
            ++written;
        }
    }
    EXPECT_EQ(written, 2U);
    EXPECT_TRUE((*log)->write_summaries());
    EXPECT_NE(slurp(path).find("\"event\":\"suppressed\",\"uid\":1001,\"denials\":98,"), std::string::npos)
        << slurp(path);
}

// Allows have a limit of their own (audit_allows_test.cpp), which denials
// do not spend.
TEST(Audit, AllowsDoNotSpendTheLimitOfDenials) {
    test::TempDir dir;
    const std::string path = dir.file("audit.jsonl");
    SteppedClock t;
    auto log = AuditLog::open(path, limited(1), t.clock());
    ASSERT_TRUE(log) << log.error().message;
    const auto who = batch();
    for (int i = 0; i < 5; ++i)
        (*log)->append({who, "d", "credentials/a/b", "credentials:token", false, "", "r"}, Limit::applies);
    for (int i = 0; i < 100; ++i) {
        EXPECT_NE((*log)->append({who, "a", "credentials/a/b", "credentials:token", true, "g", "r"}, Limit::applies),
                  0U);
    }
    EXPECT_TRUE((*log)->flush());
    const std::string text = slurp(path);
    const auto count = [&text](const std::string& part) {
        std::size_t n = 0;
        for (std::size_t at = 0; (at = text.find(part, at)) != std::string::npos; ++at) ++n;
        return n;
    };
    EXPECT_EQ(count("\"decision\":\"deny\""), 1U);
    EXPECT_EQ(count("\"decision\":\"allow\""), 100U);
}

TEST(Audit, SuppressedCountsAreWrittenWhenTheLogCloses) {
    test::TempDir dir;
    const std::string path = dir.file("audit.jsonl");
    SteppedClock t;
    {
        auto log = AuditLog::open(path, limited(1), t.clock());
        ASSERT_TRUE(log) << log.error().message;
        auto who = batch();
        for (int i = 0; i < 4; ++i)
            (*log)->append({who, "d", "credentials/a/b", "credentials:token", false, "", "r"}, Limit::applies);
    }
    EXPECT_NE(slurp(path).find("\"event\":\"suppressed\",\"uid\":1001,\"denials\":3,"), std::string::npos)
        << slurp(path);
}

Settings capped(std::uint64_t bytes, std::uint32_t keep) {
    Settings s;
    s.max_file_bytes = bytes;
    s.keep_files = keep;
    return s;
}

void write_allows(AuditLog& log, int n) {
    const auto who = batch();
    for (int i = 0; i < n; ++i) {
        const std::string id = std::to_string(i);
        EXPECT_TRUE(log.write({who, id, "credentials/alice/github", "credentials:token", true, "g", "r"}));
    }
}

TEST(Audit, FileIsRotatedAtItsCapKeepingTheNewestFiles) {
    test::TempDir dir;
    const std::string path = dir.file("audit.jsonl");
    auto log = AuditLog::open(path, capped(4096, 2));
    ASSERT_TRUE(log) << log.error().message;
    write_allows(**log, 60);  // about 450 bytes each: six files' worth
    for (const std::string& p : {path, path + ".1", path + ".2"}) {
        struct stat st {};
        ASSERT_EQ(::stat(p.c_str(), &st), 0) << p;
        EXPECT_LE(st.st_size, 4096) << p;
        EXPECT_GT(st.st_size, 0) << p;
        EXPECT_EQ(st.st_mode & 07777, 0600U) << p;
    }
    EXPECT_FALSE(std::filesystem::exists(path + ".3")) << "the oldest is dropped";
    const std::string newest = slurp(path);
    EXPECT_NE(newest.find("\"request_id\":\"59\""), std::string::npos);
    // Lines are whole and in order across the files kept.
    const std::string all = slurp(path + ".2") + slurp(path + ".1") + newest;
    int previous = -1;
    for (std::size_t at = 0; at < all.size();) {
        const auto end = all.find('\n', at);
        const auto v = boost::json::parse(all.substr(at, end - at)).as_object();
        const int id = std::stoi(std::string(v.at("request_id").as_string()));
        EXPECT_EQ(id, previous < 0 ? id : previous + 1);
        previous = id;
        at = end + 1;
    }
    EXPECT_EQ(previous, 59);
}

TEST(Audit, ReopeningCountsWhatTheFileAlreadyHolds) {
    test::TempDir dir;
    const std::string path = dir.write("audit.jsonl", std::string(4000, 'x') + "\n");
    auto log = AuditLog::open(path, capped(4096, 1));
    ASSERT_TRUE(log) << log.error().message;
    write_allows(**log, 1);
    EXPECT_EQ(slurp(path + ".1"), std::string(4000, 'x') + "\n");
    EXPECT_EQ(lines_of(slurp(path)), 1U);
}

TEST(Audit, AFailedRotationKeepsWritingToTheCurrentFile) {
    test::TempDir dir;
    const std::string path = dir.file("audit.jsonl");
    // A non-empty directory where the rotated file should go: rename fails.
    std::filesystem::create_directory(path + ".1");
    dir.write("audit.jsonl.1/keep", "x");
    auto log = AuditLog::open(path, capped(4096, 1));
    ASSERT_TRUE(log) << log.error().message;
    write_allows(**log, 20);
    EXPECT_EQ(lines_of(slurp(path)), 20U) << "no line lost, the cap passed";
}

TEST(Audit, DevicesAreNeverRotated) {
    auto log = AuditLog::open("/dev/null", capped(4096, 1));
    ASSERT_TRUE(log) << log.error().message;
    write_allows(**log, 20);
    EXPECT_FALSE(std::filesystem::exists("/dev/null.1"));
}

TEST(Audit, RequestIdsAreSixteenHexDigitsAndDistinct) {
    const auto a = new_request_id();
    EXPECT_EQ(a.size(), 16U);
    EXPECT_NE(a, new_request_id());
    // Ids come from a batch of random bytes: still distinct across batches.
    std::set<std::string> seen;
    for (int i = 0; i < 1000; ++i) EXPECT_TRUE(seen.insert(new_request_id()).second);
}

}  // namespace
}  // namespace credctl::audit
