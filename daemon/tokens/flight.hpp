// Flight: one refresh of a credential in progress, and the callers waiting
// for its end (the single flight of token_service.hpp).
//
// The refresh runs in a coroutine of its own; whoever asks for the
// credential meanwhile waits here instead of starting a second refresh. A
// waiter stops waiting when the flight finishes or when its own deadline
// passes, whichever comes first; the flight does not care.
//
// finish() must be called exactly once, whatever happens to the refresh (an
// error, an exception): a flight never finished would hold its waiters, and
// every later caller of the credential, forever.
//
// Used by TokenService. Thread-safety: one thread (the I/O thread); waiters
// hold the Flight by shared_ptr.
#pragma once

#include "common/error/error.hpp"
#include "daemon/tokens/clock.hpp"
#include "daemon/tokens/token_cache.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/system/error_code.hpp>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>

namespace credctl::tokens {

class Flight {
public:
    // `scopes`: the scope set (scope_key) the refresh asks for; `ex`: the
    // I/O thread's, where waiters wake.
    Flight(const boost::asio::any_io_executor& ex, std::string scopes);
    Flight(const Flight&) = delete;
    Flight& operator=(const Flight&) = delete;

    [[nodiscard]] const std::string& scopes() const { return scopes_; }
    [[nodiscard]] bool finished() const { return finished_; }
    // The refresh's outcome; meaningful once finished().
    [[nodiscard]] const Result<void>& result() const { return result_; }

    // The token a successful refresh stored in the cache, kept here for the
    // waiters: the cache may forget it before they wake (a caller arriving
    // meanwhile with the change feed reporting this very refresh, fly()).
    void keep(std::optional<CachedToken> token) { token_ = std::move(token); }
    [[nodiscard]] const std::optional<CachedToken>& token() const { return token_; }
    // Records the outcome and wakes every waiter. Later calls are ignored.
    void finish(Result<void> result);

    // Called by finish(); the returned id removes it. For wait_for() with a
    // deadline, whose waiter has a timer of its own.
    std::uint64_t add_waker(std::function<void()> wake);
    void remove_waker(std::uint64_t id);

    // Completes once finish() is called (at once if it was). For wait_for():
    // the waiters without a deadline share one timer, and the wait has no
    // coroutine frame of its own (a stampede parks a thousand callers here).
    [[nodiscard]] boost::asio::awaitable<void> finished_wait();

private:
    std::string scopes_;
    // Never expires by itself; finish() makes it expire, which ends every
    // wait on it and every later one at once.
    boost::asio::steady_timer ended_;
    boost::system::error_code woken_;  // what ends their waits, of no interest
    bool finished_ = false;
    Result<void> result_ = make_error(Errc::internal, "refresh did not complete");
    std::optional<CachedToken> token_;
    std::uint64_t next_waker_ = 0;
    std::map<std::uint64_t, std::function<void()>> wakers_;
};

// Waits until `flight` finishes or `clock` reaches `deadline`
// (SteadyTime::max(): no deadline); flight->finished() tells which. The
// caller keeps `flight` alive until the wait ends.
[[nodiscard]] boost::asio::awaitable<void> wait_for(const std::shared_ptr<Flight>& flight, Clock& clock,
                                                    Clock::SteadyTime deadline);

}  // namespace credctl::tokens
