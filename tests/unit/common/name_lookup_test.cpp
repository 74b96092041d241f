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

// Exchanges that ask for a name being looked up wait for that lookup. The
// second asks a moment after the first started its thread, and a loaded
// machine may let a lookup of localhost (from /etc/hosts) end within that
// moment: then the second starts one of its own, rightly. So the pair is
// asked up to five times, and must share one lookup at least once; with no
// sharing every pair would start two.
TEST(NameLookup, AwaitersOfANameUnderLookupShareOneLookup) {
    bool shared = false;
    for (int attempt = 0; attempt < 5 && !shared; ++attempt) {
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
        const auto started = lookups_started() - before;
        EXPECT_LE(started, 2U);
        shared = started == 1;
    }
    EXPECT_TRUE(shared) << "two awaiters of one name never shared its lookup in five tries";
}

}  // namespace
}  // namespace credctl::http
