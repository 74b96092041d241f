#include "common/oauth/run_blocking.hpp"

#include "common/error/error.hpp"

#include <gtest/gtest.h>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <chrono>
#include <stdexcept>
#include <string>

namespace credctl::oauth {
namespace {

boost::asio::awaitable<Result<std::string>> after_a_timer(std::string value) {
    boost::asio::steady_timer timer(co_await boost::asio::this_coro::executor, std::chrono::milliseconds(5));
    co_await timer.async_wait(boost::asio::use_awaitable);
    co_return value;
}

boost::asio::awaitable<Result<std::string>> throwing() {
    throw std::runtime_error("bug");
    co_return std::string();
}

TEST(RunBlocking, ReturnsWhatTheCoroutineReturnsAfterItsWaits) {
    const std::string value = "done";  // an lvalue: GCC PR 99576
    auto r = run_blocking(after_a_timer(value));
    ASSERT_TRUE(r.has_value());
    EXPECT_EQ(*r, "done");
}

TEST(RunBlocking, RethrowsAnExceptionThatEscapesTheCoroutine) {
    EXPECT_THROW((void)run_blocking(throwing()), std::runtime_error);
}

}  // namespace
}  // namespace credctl::oauth
