#include "daemon/server/linger.hpp"

#include <sodium.h>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <array>

namespace credctl::server {
namespace {

// What one read of a lingering connection takes.
constexpr std::size_t k_linger_read_bytes = 16 * 1024;

}  // namespace

boost::asio::awaitable<void> linger(Stream& stream) {
    namespace asio = boost::asio;
    boost::system::error_code ec;
    stream.socket().shutdown(asio::local::stream_protocol::socket::shutdown_send, ec);
    if (ec) co_return;
    stream.expires_after(k_linger_time);
    std::array<char, k_linger_read_bytes> sink;
    std::size_t discarded = 0;
    while (discarded < k_linger_bytes) {
        auto [read_ec, n] = co_await stream.async_read_some(asio::buffer(sink), asio::as_tuple(asio::use_awaitable));
        sodium_memzero(sink.data(), n);
        if (read_ec) break;
        discarded += n;
    }
}

}  // namespace credctl::server
