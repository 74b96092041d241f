// The system Clock: alarms ring on the io_context, never from inside
// alarm(), and a destroyed alarm never rings, even once its time has come.
#include "daemon/tokens/clock.hpp"

#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <chrono>

namespace credctl::tokens {
namespace {

TEST(SystemClock, AnAlarmRingsOnTheIoContextNotInsideTheCall) {
    boost::asio::io_context io;
    auto clock = make_system_clock(io);
    int rang = 0;
    auto alarm = clock->alarm(clock->steady_now(), [&] { ++rang; });
    EXPECT_EQ(rang, 0);
    io.run();
    EXPECT_EQ(rang, 1);
}

TEST(SystemClock, ADestroyedAlarmNeverRings) {
    boost::asio::io_context io;
    auto clock = make_system_clock(io);
    int rang = 0;
    auto alarm = clock->alarm(clock->steady_now(), [&] { ++rang; });
    alarm.reset();
    io.run();
    EXPECT_EQ(rang, 0);
}

TEST(SystemClock, ReadsTheWallClockInEpochSeconds) {
    boost::asio::io_context io;
    auto clock = make_system_clock(io);
    // Against the same clock: time(2) reads the kernel's coarse clock, which
    // may still say the last second for a tick after the second turned.
    const auto epoch_seconds = [] {
        return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
            .count();
    };
    const auto before = epoch_seconds();
    const auto now = clock->now_epoch_seconds();
    EXPECT_GE(now, before);
    EXPECT_LE(now, epoch_seconds());
}

}  // namespace
}  // namespace credctl::tokens
