// Name lookups of the provider exchanges (http_client.cpp), each on a thread
// of its own and awaited no later than the exchange's deadline.
//
// Asio's resolver makes the lookups of one io_context on one thread of its
// own, one after another, and its wait knows no deadline. credd makes every
// provider exchange on one io_context: a name whose DNS did not answer held
// its exchange past `timeout_seconds`, and every later lookup, every other
// provider's, behind it. Here a lookup that is not answered by the deadline
// fails with `timed_out` (transient: the retries go on while the retry
// deadline allows), and is left to end on its thread, its answer dropped.
// An exchange that asks for a name being looked up waits for that lookup
// instead of starting another: a name whose DNS hangs holds one thread,
// however many refreshes and retries ask for it. At most k_max_lookups
// names are looked up at once; one more fails at once with
// `host_not_found_try_again` (transient), so that a resolver that never
// answers costs a bounded number of threads.
//
// Thread-safety: look_up() may be awaited from any number of io_contexts.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/system/error_code.hpp>

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

namespace credctl::http {

struct Lookup {
    boost::system::error_code error;
    std::vector<boost::asio::ip::tcp::endpoint> endpoints;
};

inline constexpr int k_max_lookups = 16;

// The addresses of `host` (a name) with `port`, or why there are none.
[[nodiscard]] boost::asio::awaitable<Lookup> look_up(std::string host, std::string port,
                                                     std::chrono::steady_clock::time_point deadline);

// Lookups under way now, those whose awaiters gave up included.
[[nodiscard]] int lookups_running();
// Lookups started since the process started.
[[nodiscard]] std::uint64_t lookups_started();

}  // namespace credctl::http
