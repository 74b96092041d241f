// run_now(): runs one coroutine on a test's io_context until it finishes and
// returns what it returned (a store call through TokenService, say), letting
// whatever else is ready on that io_context run too. Work on another thread
// (a store runner's) is waited for; a coroutine still waiting after
// `patience` is a test failure (an empty result), never a hang.
// run_until() runs the io_context until `done()` or `patience` passes.
// Test-only helpers.
#pragma once

#include <gtest/gtest.h>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

#include <chrono>
#include <exception>
#include <functional>
#include <optional>
#include <utility>

namespace credctl::test {

inline bool run_until(boost::asio::io_context& io, const std::function<bool()>& done,
                      std::chrono::milliseconds patience = std::chrono::seconds(5)) {
    const auto deadline = std::chrono::steady_clock::now() + patience;
    io.restart();
    while (!done() && std::chrono::steady_clock::now() < deadline) {
        if (io.poll() == 0) io.run_one_for(std::chrono::milliseconds(5));
        if (io.stopped()) io.restart();
    }
    return done();
}

// Not a coroutine, so a prvalue awaitable is safe here (GCC PR 99576).
template <class T>
T run_now(boost::asio::io_context& io, boost::asio::awaitable<T> work) {
    std::optional<T> out;
    std::exception_ptr threw;
    boost::asio::co_spawn(io, std::move(work), [&](std::exception_ptr e, T value) {
        threw = e;
        if (!e) out.emplace(std::move(value));
    });
    run_until(io, [&] { return out.has_value() || threw != nullptr; });
    if (threw) std::rethrow_exception(threw);
    if (!out) ADD_FAILURE() << "the coroutine did not finish with nothing else left to run";
    return out ? std::move(*out) : T{};
}

}  // namespace credctl::test
