#include "common/oauth/name_lookup.hpp"

#include "support/run_now.hpp"

#include <gtest/gtest.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>

#include <algorithm>
#include <thread>

namespace credctl::http {
namespace {

using namespace std::chrono_literals;

TEST(NameLookup, ANameIsLookedUpOnAThreadOfItsOwnThatThenEnds) {
    boost::asio::io_context io;
    const auto found = test::run_now(io, look_up("localhost", "8080", std::chrono::steady_clock::now() + 10s));
    ASSERT_FALSE(found.error) << found.error.message();
    ASSERT_FALSE(found.endpoints.empty());
    EXPECT_TRUE(std::all_of(found.endpoints.begin(), found.endpoints.end(),
                            [](const auto& e) { return e.port() == 8080 && e.address().is_loopback(); }));
    for (int i = 0; i < 200 && lookups_running() != 0; ++i) std::this_thread::sleep_for(10ms);
    EXPECT_EQ(lookups_running(), 0);
}

// Exchanges that ask for a name being looked up wait for that lookup.
TEST(NameLookup, AwaitersOfANameUnderLookupShareOneLookup) {
    boost::asio::io_context io;
    const auto deadline = std::chrono::steady_clock::now() + 10s;
    const auto before = lookups_started();
    Lookup first;
    Lookup second;
    boost::asio::co_spawn(
        io, [&]() -> boost::asio::awaitable<void> { first = co_await look_up("localhost", "1", deadline); },
        boost::asio::detached);
    boost::asio::co_spawn(
        io, [&]() -> boost::asio::awaitable<void> { second = co_await look_up("localhost", "1", deadline); },
        boost::asio::detached);
    io.run();
    EXPECT_FALSE(first.error);
    EXPECT_FALSE(second.error);
    EXPECT_EQ(first.endpoints, second.endpoints);
    EXPECT_EQ(lookups_started() - before, 1U);
}

}  // namespace
}  // namespace credctl::http
