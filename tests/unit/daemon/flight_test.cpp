// Flight: the end of a refresh wakes every waiter once; a waiter's deadline
// wakes that waiter only. Driven by a fake clock and io.poll(), no sleeps.
#include "daemon/tokens/flight.hpp"
#include "token_fakes.hpp"

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>

#include <array>
#include <optional>

namespace credctl::tokens {
namespace {

namespace asio = boost::asio;

class FlightTest : public ::testing::Test {
protected:
    // Starts a waiter; its outcome lands in `out` when it stops waiting.
    void wait(std::optional<bool>& out, Clock::SteadyTime deadline) {
        asio::co_spawn(
            io_,
            [](std::shared_ptr<Flight> f, Clock& c, Clock::SteadyTime d,
               std::optional<bool>* o) -> asio::awaitable<void> {
                co_await wait_for(f, c, d);
                *o = f->finished();
            }(flight_, clock_, deadline, &out),
            asio::detached);
        settle();
    }
    void settle() {
        io_.restart();
        io_.poll();
    }

    asio::io_context io_;
    test::FakeClock clock_;
    std::shared_ptr<Flight> flight_ = std::make_shared<Flight>(io_.get_executor(), "openid");
};

TEST_F(FlightTest, FinishWakesEveryWaiterWithTheResult) {
    std::optional<bool> a, b;
    wait(a, Clock::SteadyTime::max());
    wait(b, clock_.steady_now() + std::chrono::seconds(10));
    EXPECT_FALSE(a.has_value());
    EXPECT_FALSE(b.has_value());
    flight_->finish(make_error(Errc::login_required, "rejected"));
    settle();
    EXPECT_EQ(a, true);
    EXPECT_EQ(b, true);
    ASSERT_FALSE(flight_->result().has_value());
    EXPECT_EQ(flight_->result().error().code, Errc::login_required);
}

// Waiters without a deadline share the flight's one timer: its end wakes
// them all, once each, and none before.
TEST_F(FlightTest, FinishWakesEveryWaiterWithoutADeadline) {
    std::array<std::optional<bool>, 5> outs;
    for (auto& o : outs) wait(o, Clock::SteadyTime::max());
    clock_.advance(std::chrono::hours(1));
    settle();
    for (const auto& o : outs) EXPECT_FALSE(o.has_value());
    flight_->finish({});
    settle();
    for (const auto& o : outs) EXPECT_EQ(o, true);
}

TEST_F(FlightTest, ASecondFinishChangesNothing) {
    flight_->finish({});
    flight_->finish(make_error(Errc::internal, "late"));
    EXPECT_TRUE(flight_->finished());
    EXPECT_TRUE(flight_->result().has_value());
    std::optional<bool> late;
    wait(late, Clock::SteadyTime::max());
    EXPECT_EQ(late, true) << "a waiter arriving after the end waits forever";
}

TEST_F(FlightTest, ADeadlineWakesOnlyItsWaiter) {
    std::optional<bool> hurried, patient;
    wait(hurried, clock_.steady_now() + std::chrono::seconds(3));
    wait(patient, Clock::SteadyTime::max());
    clock_.advance(std::chrono::seconds(2));
    settle();
    EXPECT_FALSE(hurried.has_value());
    clock_.advance(std::chrono::seconds(1));
    settle();
    EXPECT_EQ(hurried, false);
    EXPECT_FALSE(patient.has_value());
    EXPECT_FALSE(flight_->finished());
    flight_->finish({});
    settle();
    EXPECT_EQ(patient, true);
}

TEST_F(FlightTest, ADeadlineAlreadyPassedDoesNotWait) {
    std::optional<bool> out;
    wait(out, clock_.steady_now());
    EXPECT_EQ(out, false);
}

}  // namespace
}  // namespace credctl::tokens
