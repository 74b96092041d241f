// StopGrace (daemon/server/session_state.hpp): at a stop, sessions waiting
// for a request close at once, busy ones are left to finish, and one
// writing an answer its client does not read is closed when the grace
// (a second in credd, 500 ms here) since the stop is over; a write that
// begins after that is cut at once.
#include "daemon/server/session_state.hpp"

#include <gtest/gtest.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/local/connect_pair.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <chrono>
#include <set>
#include <thread>

namespace credctl::server {
namespace {

namespace asio = boost::asio;
using local = asio::local::stream_protocol;
using Clock = std::chrono::steady_clock;
constexpr std::chrono::milliseconds k_grace{500};

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

// The rest of an answer that its client does not read: done when `done`
// is cancelled.
asio::awaitable<void> unread_rest(asio::steady_timer& done) {
    co_await done.async_wait(asio::as_tuple(asio::use_awaitable));
}

class StopGraceTest : public ::testing::Test {
protected:
    asio::io_context io_;
    std::set<Session*> sessions_;
    StopGrace grace_{io_, sessions_, k_grace};
    asio::steady_timer done_{io_, std::chrono::minutes(1)};
};

TEST_F(StopGraceTest, IdleSessionsCloseAtOnceAndBusyOnesAreLeftToFinish) {
    PairedSession idle(io_), busy(io_);
    busy.session.busy = true;
    sessions_ = {&idle.session, &busy.session};
    grace_.stop();
    EXPECT_FALSE(idle.open());
    EXPECT_TRUE(busy.open());
    EXPECT_EQ(io_.poll(), 0U) << "with no session writing, nothing is left to hold the loop";
}

TEST_F(StopGraceTest, ASessionStillWritingIsClosedWhenTheGraceIsOver) {
    PairedSession writing(io_), busy(io_);
    writing.session.busy = busy.session.busy = true;
    sessions_ = {&writing.session, &busy.session};
    asio::co_spawn(io_, write_rest(writing.session, grace_, unread_rest(done_)), asio::detached);
    io_.poll();
    ASSERT_TRUE(writing.session.writing);
    const auto start = Clock::now();
    grace_.stop();
    EXPECT_TRUE(writing.open());
    io_.run_one_for(std::chrono::seconds(5));  // the grace's timer
    EXPECT_GE(Clock::now() - start, k_grace);
    EXPECT_FALSE(writing.open()) << "a client that does not read held the stop past the grace";
    EXPECT_TRUE(busy.open()) << "a session that is not writing is left to finish";
    done_.cancel();
    io_.poll();
    EXPECT_FALSE(writing.session.writing);
}

TEST_F(StopGraceTest, AWriteBegunWithinTheGraceIsGivenItsRest) {
    PairedSession late(io_);
    late.session.busy = true;
    sessions_ = {&late.session};
    grace_.stop();
    asio::co_spawn(io_, write_rest(late.session, grace_, unread_rest(done_)), asio::detached);
    io_.poll();
    EXPECT_TRUE(late.open()) << "cut before the grace was over";
    io_.run_one_for(std::chrono::seconds(5));  // the grace's timer, armed by the write
    EXPECT_FALSE(late.open());
    done_.cancel();
    io_.poll();
}

TEST_F(StopGraceTest, AWriteBegunAfterTheGraceIsCutAtOnce) {
    PairedSession late(io_);
    late.session.busy = true;
    sessions_ = {&late.session};
    grace_.stop();
    std::this_thread::sleep_for(k_grace + std::chrono::milliseconds(20));
    asio::co_spawn(io_, write_rest(late.session, grace_, unread_rest(done_)), asio::detached);
    io_.poll();
    EXPECT_FALSE(late.open());
    done_.cancel();
    io_.poll();
}

TEST_F(StopGraceTest, BeforeAStopAWriteGoesOnAndIsMarkedWhileItRuns) {
    PairedSession p(io_);
    sessions_ = {&p.session};
    asio::co_spawn(io_, write_rest(p.session, grace_, unread_rest(done_)), asio::detached);
    io_.poll();
    EXPECT_TRUE(p.session.writing);
    done_.cancel();
    io_.poll();
    EXPECT_FALSE(p.session.writing);
    EXPECT_TRUE(p.open());
}

}  // namespace
}  // namespace credctl::server
