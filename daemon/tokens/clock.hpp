// Clock: the time TokenService reads and the deadlines it waits for, as a
// seam so that unit tests set the time instead of sleeping (docs/design.md
// "Seams").
//
// Two clocks, as in the rest of credd: the wall clock (UTC epoch seconds) for
// expiry times and record timestamps, which are stored and compared with the
// provider's; the steady clock for a caller's deadline, which must not jump
// when the wall clock is set.
//
// make_system_clock() is the one production Clock; tests use a fake whose
// time they advance by hand and which rings its alarms when they do.
//
// Thread-safety: one thread (the daemon's I/O thread); alarms ring on it.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>

namespace boost::asio {
class io_context;
}

namespace credctl::tokens {

// A pending wake-up; destroying it disarms it (its callback is then never
// called, even if its time has come).
class Alarm {
public:
    virtual ~Alarm() = default;
};

class Clock {
public:
    using SteadyTime = std::chrono::steady_clock::time_point;

    virtual ~Clock() = default;
    // Wall-clock time, UTC epoch seconds.
    [[nodiscard]] virtual std::int64_t now_epoch_seconds() const = 0;
    // Monotonic time, for deadlines.
    [[nodiscard]] virtual SteadyTime steady_now() const = 0;
    // Calls `wake` once, on the I/O thread and never from inside this call,
    // when steady_now() reaches `at`, unless the Alarm is destroyed first.
    [[nodiscard]] virtual std::unique_ptr<Alarm> alarm(SteadyTime at, std::function<void()> wake) = 0;
};

// The real clocks (std::chrono::system_clock and steady_clock); alarms are
// timers on `io`, which must outlive the Clock and its alarms.
[[nodiscard]] std::unique_ptr<Clock> make_system_clock(boost::asio::io_context& io);

}  // namespace credctl::tokens
