// ReplyRound and reply() (daemon/server/reply_round.hpp): answers made at
// once are written after their audit lines, all those of a round before any
// of their sessions goes on, on real sockets and a real audit file.
#include "daemon/server/reply_round.hpp"

#include "support/audit_caller.hpp"
#include "temp_dir.hpp"

#include <gtest/gtest.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/local/connect_pair.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>
#include <fstream>
#include <functional>
#include <sstream>
#include <string>
#include <vector>

namespace credctl::server {
namespace {

namespace asio = boost::asio;
using local = asio::local::stream_protocol;

std::string file_text(const std::string& path) {
    std::ifstream in(path);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

// One session's end of a connection and its client's.
struct Pair {
    explicit Pair(asio::io_context& io) : client(io) {
        local::socket server(io);
        asio::local::connect_pair(server, client);
        server.non_blocking(true);
        stream.emplace(std::move(server));
        client.non_blocking(true);
    }
    // What the client can read now, without waiting.
    std::string waiting() {
        std::string got(64 * 1024, '\0');
        boost::system::error_code ec;
        const std::size_t n = client.read_some(asio::buffer(got), ec);
        got.resize(ec ? 0 : n);
        return got;
    }
    local::socket client;
    std::optional<Stream> stream;
};

class ReplyRoundTest : public ::testing::Test {
protected:
    void SetUp() override {
        auto opened = audit::AuditLog::open(path_);
        ASSERT_TRUE(opened) << opened.error().message;
        log_ = *opened;
    }
    // A line queued in the log, its flush not posted: as if the round ran
    // before the batch's flush.
    std::uint64_t queue_line() {
        return log_->append({test::batch(), "a", "credentials/batch/github", "credentials:token", true, "g", "r"},
                            audit::Limit::applies);
    }
    // Hands `q` to the round from a session coroutine; `after` runs once the
    // session is resumed.
    void send(QueuedReply& q, std::function<void()> after) {
        asio::co_spawn(
            io_,
            [this, &q, after = std::move(after)]() -> asio::awaitable<void> {
                co_await round_.send(q);
                if (q.rest) co_await std::move(*q.rest);
                after();
            },
            asio::detached);
    }

    test::TempDir dir_;
    const std::string path_ = dir_.file("audit.jsonl");
    std::shared_ptr<audit::AuditLog> log_;
    asio::io_context io_;
    bool stopping_ = false;
    ReplyRound round_{io_, stopping_, std::chrono::seconds(5)};
};

TEST_F(ReplyRoundTest, AnAnswerGoesOutOnlyAfterItsAuditLineWhoseFlushHasNotRun) {
    Pair p(io_);
    ApiReply r{200, SecretString(std::string_view(R"({"access_token":"t"})"))};
    QueuedReply q(*p.stream, r, true, log_, queue_line());
    std::string line_when_answered;
    send(q, [&] { line_when_answered = file_text(path_); });
    // Not before the round.
    EXPECT_EQ(p.waiting(), "");
    io_.run();
    EXPECT_NE(line_when_answered.find("credentials/batch/github"), std::string::npos) << line_when_answered;
    const std::string got = p.waiting();
    EXPECT_EQ(got.rfind("HTTP/1.1 200 OK\r\n", 0), 0u) << got;
    EXPECT_NE(got.find("\r\n\r\n{\"access_token\":\"t\"}"), std::string::npos) << got;
    EXPECT_EQ(got.find("Connection: close"), std::string::npos) << got;
    EXPECT_TRUE(q.keep_alive);
    EXPECT_FALSE(q.rest);
    EXPECT_FALSE(q.others_in_round);
}

TEST_F(ReplyRoundTest, EverySessionOfARoundGoesOnOnlyOnceAllItsAnswersAreWritten) {
    Pair first(io_);
    Pair second(io_);
    ApiReply r1{200, SecretString(std::string_view("{}"))};
    ApiReply r2{200, SecretString(std::string_view("{}"))};
    QueuedReply q1(*first.stream, r1, true, log_, queue_line());
    QueuedReply q2(*second.stream, r2, true, log_, queue_line());
    std::string second_when_first_resumed;
    std::vector<int> resumed;
    send(q1, [&] {
        resumed.push_back(1);
        second_when_first_resumed = second.waiting();
    });
    send(q2, [&] { resumed.push_back(2); });
    io_.run();
    EXPECT_EQ(resumed, (std::vector<int>{1, 2}));
    EXPECT_EQ(second_when_first_resumed.rfind("HTTP/1.1 200 OK\r\n", 0), 0u) << second_when_first_resumed;
    EXPECT_NE(first.waiting(), "");
    EXPECT_TRUE(q1.others_in_round);
    EXPECT_TRUE(q2.others_in_round);
}

TEST_F(ReplyRoundTest, AnAnswerWrittenAfterAStopBeganClosesItsConnection) {
    Pair p(io_);
    ApiReply r{200, SecretString(std::string_view("{}"))};
    QueuedReply q(*p.stream, r, true, log_, queue_line());
    send(q, [] {});
    stopping_ = true;  // after the answer was handed over, before the round
    io_.run();
    EXPECT_FALSE(q.keep_alive);
    EXPECT_NE(p.waiting().find("Connection: close\r\n"), std::string::npos);
}

TEST_F(ReplyRoundTest, WhatASlowReaderLeavesIsWrittenBeforeItsSessionGoesOn) {
    Pair p(io_);
    const std::string body(4 * 1024 * 1024, 'x');  // more than the socket buffers hold
    ApiReply r{200, SecretString(std::string_view(body))};
    QueuedReply q(*p.stream, r, true, log_, queue_line());
    bool resumed = false;
    std::string got;
    send(q, [&] { resumed = true; });
    // The client reads the answer in turns of the loop, as a slow reader would.
    asio::co_spawn(
        io_,
        [&]() -> asio::awaitable<void> {
            std::string chunk(64 * 1024, '\0');
            for (;;) {
                auto [ec, n] =
                    co_await p.client.async_read_some(asio::buffer(chunk), asio::as_tuple(asio::use_awaitable));
                got.append(chunk, 0, n);
                const auto head_end = got.find("\r\n\r\n");
                if (ec || (head_end != std::string::npos && got.size() - head_end - 4 >= body.size())) break;
            }
        },
        asio::detached);
    io_.run();
    EXPECT_TRUE(q.rest) << "the socket took the whole answer at once: the test proves nothing";
    EXPECT_TRUE(resumed);
    ASSERT_NE(got.find("\r\n\r\n"), std::string::npos);
    EXPECT_EQ(got.substr(got.find("\r\n\r\n") + 4), body);
}

TEST_F(ReplyRoundTest, ALineAlreadyWrittenIsNotWrittenAgain) {
    Pair p(io_);
    const std::uint64_t line = queue_line();
    ASSERT_TRUE(log_->flush());
    ApiReply r{200, SecretString(std::string_view("{}"))};
    QueuedReply q(*p.stream, r, true, log_, line);
    send(q, [] {});
    io_.run();
    const std::string text = file_text(path_);
    EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 1) << text;
    EXPECT_NE(p.waiting(), "");
}

}  // namespace
}  // namespace credctl::server
