// StopGrace (daemon/server/session_state.hpp): at a stop, sessions waiting
// for a request close at once, busy ones are left to finish, and one
// writing an answer its client does not read is closed a second later, or
// at once if its write begins after that second.
#include "daemon/server/session_state.hpp"

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/local/connect_pair.hpp>

#include <chrono>
#include <set>

namespace credctl::server {
namespace {

namespace asio = boost::asio;
using local = asio::local::stream_protocol;
using Clock = std::chrono::steady_clock;

// A session on one end of a socket pair.
struct PairedSession {
    explicit PairedSession(asio::io_context& io) : stream(local::socket(io)), client(io) {
        asio::local::connect_pair(stream.socket(), client);
        session.stream = &stream;
    }
    bool open() const { return stream.socket().is_open(); }
    Stream stream;
    local::socket client;
    Session session;
};

asio::awaitable<void> no_rest() {
    co_return;
}

class StopGraceTest : public ::testing::Test {
protected:
    asio::io_context io_;
    std::set<Session*> sessions_;
    StopGrace grace_{io_, sessions_};
};

TEST_F(StopGraceTest, IdleSessionsCloseAtOnceAndBusyOnesAreLeftToFinish) {
    PairedSession idle(io_), busy(io_);
    busy.session.busy = true;
    sessions_ = {&idle.session, &busy.session};
    grace_.stop();
    EXPECT_FALSE(idle.open());
    EXPECT_TRUE(busy.open());
    EXPECT_TRUE(grace_.over()) << "with no session writing, there is no second to wait for";
    EXPECT_EQ(io_.poll(), 0U) << "nothing is left to hold the loop";
}

TEST_F(StopGraceTest, ASessionStillWritingIsClosedASecondAfterTheStop) {
    PairedSession writing(io_), busy(io_);
    writing.session.busy = busy.session.busy = true;
    writing.session.writing = true;
    sessions_ = {&writing.session, &busy.session};
    const auto start = Clock::now();
    grace_.stop();
    EXPECT_TRUE(writing.open());
    EXPECT_FALSE(grace_.over());
    io_.run_one_for(std::chrono::seconds(5));  // the grace's timer
    EXPECT_GE(Clock::now() - start, StopGrace::k_grace);
    EXPECT_FALSE(writing.open()) << "a client that does not read held the stop past its second";
    EXPECT_TRUE(busy.open()) << "a session that is not writing is left to finish";
    EXPECT_TRUE(grace_.over());
}

TEST_F(StopGraceTest, AWriteBegunAfterTheGraceIsCutAtOnce) {
    PairedSession late(io_);
    late.session.busy = true;
    sessions_ = {&late.session};
    grace_.stop();
    ASSERT_TRUE(late.open());
    asio::co_spawn(io_, write_rest(late.session, grace_, no_rest()), asio::detached);
    io_.poll();
    EXPECT_FALSE(late.open());
    EXPECT_FALSE(late.session.writing);
}

TEST_F(StopGraceTest, BeforeAStopAWriteGoesOnAndIsMarkedWhileItRuns) {
    PairedSession p(io_);
    sessions_ = {&p.session};
    bool seen_writing = false;
    auto watch = [&]() -> asio::awaitable<void> {
        seen_writing = p.session.writing;
        co_return;
    };
    asio::co_spawn(io_, write_rest(p.session, grace_, watch()), asio::detached);
    io_.poll();
    EXPECT_TRUE(seen_writing);
    EXPECT_FALSE(p.session.writing);
    EXPECT_TRUE(p.open());
}

}  // namespace
}  // namespace credctl::server
