// What the server (server.cpp) keeps of each connection: the stream type of
// a session on the Unix socket, whether it is serving a request (a stop
// closes idle sessions at once and lets busy ones finish), and a connection
// waiting for a slot of its uid (admission.hpp); how a session takes a
// request head that is already waiting, and writes an answer at once.
//
// Internal to server.cpp (it brings Beast and Asio with it). Thread-safety:
// the I/O thread's.
#pragma once

#include "daemon/server/http_text.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/basic_stream.hpp>
#include <boost/beast/core/rate_policy.hpp>
#include <boost/beast/core/read_size.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/system/error_code.hpp>

#include <cstddef>
#include <string_view>

namespace credctl::server {

using Stream = boost::beast::basic_stream<boost::asio::local::stream_protocol, boost::asio::any_io_executor,
                                          boost::beast::unlimited_rate_policy>;

struct Session {
    Stream* stream = nullptr;
    bool busy = false;
};

struct Waiter {
    boost::asio::steady_timer timer;
    bool admitted = false;
};

// Reads what waits on `socket` (non-blocking: the session sets it so) into
// an empty `buffer` in one call and parses it with `parser`, as Beast's
// async_read_header would but without its composed operation, its timer and
// its trip through the scheduler (docs/benchmarks.md, "One read per
// request"). True when that settled the head: `ec` is then the parser's
// verdict (none when the head is whole) and `head_bytes` what it took.
// False when the head is not all there, or the socket had nothing or
// failed: `head_bytes` is what the parser took already (a request line
// whose fields are still to come), the rest stays in `buffer`, and
// async_read_header goes on from there (and meets the failure again).
template <class Socket, class Buffer, class Parser>
bool head_at_once(Socket& socket, Buffer& buffer, Parser& parser, std::size_t& head_bytes,
                  boost::system::error_code& ec) {
    head_bytes = 0;
    if (buffer.size() != 0 || buffer.max_size() == 0) return false;
    boost::system::error_code rec;
    // As much as Beast's own read would ask for.
    const std::size_t got = socket.read_some(buffer.prepare(boost::beast::read_size(buffer, 65536)), rec);
    if (rec || got == 0) return false;
    buffer.commit(got);
    boost::system::error_code pec;
    head_bytes = parser.put(buffer.data(), pec);
    buffer.consume(head_bytes);
    if (pec == boost::beast::http::error::need_more) return false;
    ec = pec;
    return pec || parser.is_header_done();
}

// Writes `head`, then `body`, on the non-blocking `socket` as far as it
// takes them now; returns the bytes written. `ec`: would_block (or
// try_again) when its send buffer filled first, or why the write failed.
template <class Socket>
std::size_t write_at_once(Socket& socket, std::string_view head, std::string_view body, boost::system::error_code& ec) {
    std::size_t sent = 0;
    const std::size_t size = head.size() + body.size();
    while (!ec && sent < size) sent += socket.write_some(unsent(head, body, sent), ec);
    return sent;
}

}  // namespace credctl::server
