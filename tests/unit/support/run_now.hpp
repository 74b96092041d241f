// run_now(): runs one coroutine on a test's io_context until it finishes and
// returns what it returned (a store call through TokenService, say), letting
// whatever else is ready on that io_context run too. A coroutine still
// waiting when nothing is left to run is a test failure (an empty result),
// never a hang. Test-only helper.
#pragma once

#include <gtest/gtest.h>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

#include <exception>
#include <optional>
#include <utility>

namespace credctl::test {

// Not a coroutine, so a prvalue awaitable is safe here (GCC PR 99576).
template <class T>
T run_now(boost::asio::io_context& io, boost::asio::awaitable<T> work) {
    std::optional<T> out;
    std::exception_ptr threw;
    boost::asio::co_spawn(io, std::move(work), [&](std::exception_ptr e, T value) {
        threw = e;
        if (!e) out.emplace(std::move(value));
    });
    io.restart();
    while (!out && !threw && io.poll() > 0) {
    }
    if (threw) std::rethrow_exception(threw);
    if (!out) ADD_FAILURE() << "the coroutine did not finish with nothing else left to run";
    return out ? std::move(*out) : T{};
}

}  // namespace credctl::test
