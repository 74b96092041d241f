// audit::record() and audit::written() (daemon/audit/recorder.hpp): when
// audit lines reach the file, on a real io_context and a real file.
#include "daemon/audit/recorder.hpp"

#include "common/log/log.hpp"

#include "support/audit_caller.hpp"
#include "temp_dir.hpp"

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/this_coro.hpp>

#include <algorithm>
#include <fstream>
#include <sstream>

namespace credctl::audit {
namespace {

namespace asio = boost::asio;

using test::batch;

std::size_t lines_in(const std::string& path) {
    std::ifstream in(path);
    std::ostringstream s;
    s << in.rdbuf();
    const std::string text = s.str();
    return static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n'));
}

Record allow(const peer::PeerIdentity& who) {
    return {who, "a", "credentials/alice/github", "credentials:token", true, "g", "r"};
}

// An audit log at `path` (a file in a temporary directory unless a test
// says otherwise) and the io_context its batches are flushed on.
class Recorder : public ::testing::Test {
protected:
    void open(const std::string& path) {
        auto opened = AuditLog::open(path);
        ASSERT_TRUE(opened) << opened.error().message;
        log_ = *opened;
    }
    void SetUp() override { open(path_); }
    Result<std::uint64_t> record_one(Urgency urgency) {
        return record(log_, io_.get_executor(), allow(batch()), urgency, Limit::applies);
    }

    test::TempDir dir_;
    const std::string path_ = dir_.file("audit.jsonl");
    std::shared_ptr<AuditLog> log_;
    asio::io_context io_;
};

TEST_F(Recorder, BatchedLinesWaitForOneFlushPostedByTheFirst) {
    for (int i = 0; i < 3; ++i) {
        const auto line = record_one(Urgency::batched);
        ASSERT_TRUE(line);
        EXPECT_EQ(*line, static_cast<std::uint64_t>(i + 1));
    }
    EXPECT_EQ(lines_in(path_), 0U) << "nothing written before the flush runs";
    EXPECT_EQ(io_.poll(), 1U) << "one flush for the batch";
    EXPECT_EQ(lines_in(path_), 3U);
}

TEST_F(Recorder, WriteNowTakesTheBatchBeforeItsPostedFlushWhichThenFindsItWritten) {
    ASSERT_TRUE(record_one(Urgency::batched));
    const auto line = record_one(Urgency::batched);
    ASSERT_TRUE(line);
    write_now(log_, *line);
    EXPECT_EQ(lines_in(path_), 2U) << "the line and the one queued before it";
    EXPECT_TRUE(log_->flushed(*line));
    write_now(log_, *line);
    io_.poll();
    EXPECT_EQ(lines_in(path_), 2U) << "written once";
}

// A burst fills batches faster than the posted flush runs: each full batch
// is written at once, and the posted flush takes what is left.
TEST_F(Recorder, AFullBatchIsWrittenWithoutWaitingForThePostedFlush) {
    log::set_threshold(log::Level::warning);  // no copy of the lines on stderr
    struct Restore {
        ~Restore() { log::set_threshold(log::Level::info); }
    } restore;
    constexpr std::size_t k_lines = 1000;  // about 200 kB: three full batches and some
    for (std::size_t i = 0; i < k_lines; ++i) ASSERT_TRUE(record_one(Urgency::batched));
    const auto early = lines_in(path_);
    EXPECT_GE(early, 600U) << "full batches wait for nothing";
    EXPECT_EQ(early + log_->queued(), k_lines);
    EXPECT_LT(log_->queued(), 400U) << "less than one batch left";
    io_.poll();
    EXPECT_EQ(lines_in(path_), k_lines);
}

TEST_F(Recorder, AnAtOnceLineIsWrittenBeforeRecordReturnsWithThoseQueuedBefore) {
    ASSERT_TRUE(record_one(Urgency::batched));
    const auto line = record_one(Urgency::at_once);
    ASSERT_TRUE(line);
    EXPECT_TRUE(log_->flushed(*line));
    EXPECT_EQ(lines_in(path_), 2U);
    io_.poll();  // the batch's flush finds nothing left
    EXPECT_EQ(lines_in(path_), 2U);
}

TEST_F(Recorder, AnAtOnceLineTheFileCannotTakeIsAnError) {
    open("/dev/full");
    const auto line = record_one(Urgency::at_once);
    ASSERT_FALSE(line);
    EXPECT_EQ(line.error().message, "audit log /dev/full cannot be written: No space left on device");
}

// A request's order: record its line, then wait for it before answering.
asio::awaitable<void> record_then_wait(std::shared_ptr<AuditLog> log, bool* seen_written) {
    const auto who = batch();
    const auto line = record(log, co_await asio::this_coro::executor, allow(who), Urgency::batched, Limit::applies);
    if (!line) co_return;
    co_await written(log, *line);
    *seen_written = log->flushed(*line);
}

TEST_F(Recorder, WrittenCompletesOnlyOnceTheBatchIsFlushed) {
    bool seen_written = false;
    asio::co_spawn(io_, record_then_wait(log_, &seen_written), asio::detached);
    io_.run();
    EXPECT_TRUE(seen_written);
}

}  // namespace
}  // namespace credctl::audit
