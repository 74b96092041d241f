#include "daemon/tokens/flight.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace credctl::tokens {

namespace asio = boost::asio;

namespace {

// With a deadline: a timer of the waiter's own, which the flight's end or
// the deadline's alarm cancels.
asio::awaitable<void> wait_until(std::shared_ptr<Flight> flight, Clock& clock, Clock::SteadyTime deadline) {
    // co_spawn may run a refresh inline up to its first suspension: one
    // that fails before any I/O has already finished here.
    if (flight->finished() || clock.steady_now() >= deadline) co_return;
    asio::steady_timer parked(co_await asio::this_coro::executor, asio::steady_timer::time_point::max());
    // Unregistered however this frame ends (also when the io_context is
    // destroyed with it suspended), so nothing cancels a dead timer.
    struct Registration {
        Flight& flight;
        std::uint64_t id;
        ~Registration() { flight.remove_waker(id); }
    } registration{*flight, flight->add_waker([&parked] { parked.cancel(); })};
    const auto alarm = clock.alarm(deadline, [&parked] { parked.cancel(); });
    co_await parked.async_wait(asio::as_tuple(asio::use_awaitable));
}

}  // namespace

Flight::Flight(const asio::any_io_executor& ex, std::string scopes)
    : scopes_(std::move(scopes)), ended_(ex, asio::steady_timer::time_point::max()) {}

void Flight::finish(Result<void> result) {
    if (finished_) return;
    result_ = std::move(result);
    finished_ = true;
    ended_.expires_at(asio::steady_timer::time_point::min());
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

asio::awaitable<void> Flight::finished_wait() {
    return ended_.async_wait(asio::redirect_error(asio::use_awaitable, woken_));
}

// Not a coroutine: a waiter without a deadline holds no frame here.
asio::awaitable<void> wait_for(const std::shared_ptr<Flight>& flight, Clock& clock, Clock::SteadyTime deadline) {
    if (deadline == Clock::SteadyTime::max()) return flight->finished_wait();
    return wait_until(flight, clock, deadline);
}

}  // namespace credctl::tokens
