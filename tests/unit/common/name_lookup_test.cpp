#include "common/oauth/name_lookup.hpp"

#include "support/run_now.hpp"

#include <gtest/gtest.h>
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

}  // namespace
}  // namespace credctl::http
