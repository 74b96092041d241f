// AuditLog's batches: lines queued by append() wait for one flush() and go
// out together, in order, however many a burst queues.
#include "daemon/audit/audit.hpp"

#include "common/log/log.hpp"
#include "support/audit_caller.hpp"
#include "support/capture.hpp"
#include "temp_dir.hpp"

#include <gtest/gtest.h>
#include <boost/json/parse.hpp>

#include <algorithm>
#include <sstream>
#include <string>

namespace credctl::audit {
namespace {

using test::slurp;

using test::batch;

TEST(Audit, AppendedLinesWaitForAFlushAndGoOutTogetherInOrder) {
    test::TempDir dir;
    const std::string path = dir.file("audit.jsonl");
    auto log = AuditLog::open(path);
    ASSERT_TRUE(log) << log.error().message;
    const auto who = batch();
    EXPECT_TRUE((*log)->flushed(0));  // "no line" is always flushed
    const auto a =
        (*log)->append({who, "a", "credentials/alice/github", "credentials:token", true, "g", "r"}, Limit::applies);
    const auto b =
        (*log)->append({who, "b", "credentials/alice/github", "credentials:token", false, "", "r"}, Limit::applies);
    EXPECT_EQ(b, a + 1);
    EXPECT_EQ((*log)->queued(), 2U);
    EXPECT_FALSE((*log)->flushed(a));
    EXPECT_EQ(slurp(path), "");  // nothing written before the flush
    EXPECT_TRUE((*log)->flush());
    EXPECT_EQ((*log)->queued(), 0U);
    EXPECT_TRUE((*log)->flushed(a));
    EXPECT_TRUE((*log)->flushed(b));
    const std::string text = slurp(path);
    ASSERT_EQ(std::count(text.begin(), text.end(), '\n'), 2);
    const auto first = boost::json::parse(text.substr(0, text.find('\n'))).as_object();
    const auto second = boost::json::parse(text.substr(text.find('\n') + 1)).as_object();
    EXPECT_EQ(first.at("request_id").as_string(), "a");
    EXPECT_EQ(second.at("request_id").as_string(), "b");
    EXPECT_TRUE((*log)->flush());  // nothing queued
    EXPECT_EQ(slurp(path), text);
}

// A stampede's batch outgrows the buffer kept between batches: it is
// written whole, each line as it was queued, and the next batch starts clean.
TEST(Audit, ABurstBatchIsWrittenWholeAndTheNextStartsClean) {
    test::TempDir dir;
    const std::string path = dir.file("audit.jsonl");
    auto log = AuditLog::open(path);
    ASSERT_TRUE(log) << log.error().message;
    const auto who = batch();
    // The lines' copies on stderr would only fill the test's output.
    log::set_threshold(log::Level::warning);
    struct Restore {
        ~Restore() { log::set_threshold(log::Level::info); }
    } restore;
    constexpr int k_lines = 1000;  // about 200 kB, past the 64 kB kept
    for (int i = 0; i < k_lines; ++i) {
        (*log)->append({who, "r" + std::to_string(i), "credentials/alice/github", "credentials:token", true, "g", "r"},
                       Limit::applies);
    }
    EXPECT_EQ((*log)->queued(), static_cast<std::size_t>(k_lines));
    ASSERT_TRUE((*log)->flush());
    (*log)->append({who, "after", "credentials/alice/github", "credentials:token", true, "g", "r"}, Limit::applies);
    EXPECT_EQ((*log)->queued(), 1U);
    ASSERT_TRUE((*log)->flush());
    std::istringstream text(slurp(path));
    std::string line;
    int n = 0;
    while (std::getline(text, line)) {
        const auto v = boost::json::parse(line).as_object();
        EXPECT_EQ(v.at("request_id").as_string(), n < k_lines ? "r" + std::to_string(n) : "after") << n;
        ++n;
    }
    EXPECT_EQ(n, k_lines + 1);
}

}  // namespace
}  // namespace credctl::audit
