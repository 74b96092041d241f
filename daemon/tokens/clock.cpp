#include "daemon/tokens/clock.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

namespace credctl::tokens {
namespace {

namespace asio = boost::asio;

class TimerAlarm final : public Alarm {
public:
    TimerAlarm(asio::io_context& io, Clock::SteadyTime at, std::function<void()> wake) : timer_(io, at) {
        // A timer that expired has its handler queued already: cancel() no
        // longer stops it, so the handler checks that it is still armed.
        timer_.async_wait([armed = armed_, wake = std::move(wake)](const boost::system::error_code& ec) {
            if (!ec && *armed) wake();
        });
    }
    ~TimerAlarm() override {
        *armed_ = false;
        timer_.cancel();
    }
    TimerAlarm(const TimerAlarm&) = delete;
    TimerAlarm& operator=(const TimerAlarm&) = delete;

private:
    std::shared_ptr<bool> armed_ = std::make_shared<bool>(true);
    asio::steady_timer timer_;
};

class SystemClock final : public Clock {
public:
    explicit SystemClock(asio::io_context& io) : io_(io) {}

    std::int64_t now_epoch_seconds() const override {
        return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
            .count();
    }
    SteadyTime steady_now() const override { return std::chrono::steady_clock::now(); }
    std::unique_ptr<Alarm> alarm(SteadyTime at, std::function<void()> wake) override {
        return std::make_unique<TimerAlarm>(io_, at, std::move(wake));
    }

private:
    asio::io_context& io_;
};

}  // namespace

std::unique_ptr<Clock> make_system_clock(asio::io_context& io) {
    return std::make_unique<SystemClock>(io);
}

}  // namespace credctl::tokens
