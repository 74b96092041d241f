// The one blocking wrapper around the asynchronous OAuth core, for the CLI:
// run_blocking(op) runs the coroutine `op` to completion on a private
// io_context on the calling thread and returns what it returns. credd never
// uses it; it awaits the same coroutines on its exchange thread.
//
// The arguments `op` refers to (the coroutines take them by reference) must
// live until run_blocking returns: temporaries in the same full-expression
// do. An exception that escapes `op` is rethrown (the core turns transport
// exceptions into errors; what is left is a bug).
// Thread-safety: each call has its own io_context; calls are independent.
#pragma once

#include <boost/asio/awaitable.hpp>

#include <optional>
#include <utility>

namespace credctl::oauth {
namespace detail {

void run_to_completion(boost::asio::awaitable<void> op);

// A coroutine taking its awaitable by value (not a prvalue through a
// reference: GCC PR 99576) and storing the result where run_blocking reads it.
template <class T>
boost::asio::awaitable<void> store_result(boost::asio::awaitable<T> op, std::optional<T>& out) {
    out.emplace(co_await std::move(op));
}

}  // namespace detail

template <class T>
[[nodiscard]] T run_blocking(boost::asio::awaitable<T> op) {
    std::optional<T> out;
    detail::run_to_completion(detail::store_result(std::move(op), out));
    return std::move(*out);
}

}  // namespace credctl::oauth
