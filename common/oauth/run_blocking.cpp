#include "common/oauth/run_blocking.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

#include <exception>

namespace credctl::oauth::detail {

void run_to_completion(boost::asio::awaitable<void> op) {
    boost::asio::io_context ioc(1);
    std::exception_ptr failure;
    bool done = false;
    boost::asio::co_spawn(ioc, std::move(op), [&](std::exception_ptr e) {
        failure = e;
        done = true;
    });
    ioc.run();
    if (failure) std::rethrow_exception(failure);
    // io_context::run() returns only when no work is left, and the
    // coroutine is work until it completes.
    if (!done) std::terminate();
}

}  // namespace credctl::oauth::detail
