#include "daemon/tokens/flight.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace credctl::tokens {

namespace asio = boost::asio;

void Flight::finish(Result<void> result) {
    if (finished_) return;
    result_ = std::move(result);
    finished_ = true;
    // A waker only cancels its waiter's timer; the waiter removes it later.
    for (auto& [id, wake] : wakers_) wake();
}

std::uint64_t Flight::add_waker(std::function<void()> wake) {
    const auto id = next_waker_++;
    wakers_.emplace(id, std::move(wake));
    return id;
}

void Flight::remove_waker(std::uint64_t id) {
    wakers_.erase(id);
}

asio::awaitable<bool> wait_for(std::shared_ptr<Flight> flight, Clock& clock, Clock::SteadyTime deadline) {
    // co_spawn may run a refresh inline up to its first suspension: one
    // that fails before any I/O has already finished here.
    if (flight->finished()) co_return true;
    const bool has_deadline = deadline != Clock::SteadyTime::max();
    if (has_deadline && clock.steady_now() >= deadline) co_return false;
    // Parked on a timer that never expires by itself: the flight's end or
    // the deadline's alarm cancels it.
    asio::steady_timer parked(co_await asio::this_coro::executor, asio::steady_timer::time_point::max());
    // Unregistered however this frame ends (also when the io_context is
    // destroyed with it suspended), so nothing cancels a dead timer.
    struct Registration {
        Flight& flight;
        std::uint64_t id;
        ~Registration() { flight.remove_waker(id); }
    } registration{*flight, flight->add_waker([&parked] { parked.cancel(); })};
    std::unique_ptr<Alarm> alarm;
    if (has_deadline) alarm = clock.alarm(deadline, [&parked] { parked.cancel(); });
    co_await parked.async_wait(asio::as_tuple(asio::use_awaitable));
    co_return flight->finished();
}

}  // namespace credctl::tokens
