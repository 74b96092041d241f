// What the server (server.cpp) keeps of each connection: the stream type of
// a session on the Unix socket, whether it is serving a request (a stop
// closes idle sessions at once and lets busy ones finish), and a connection
// waiting for a slot of its uid (admission.hpp).
//
// Internal to server.cpp (it brings Beast and Asio with it). Thread-safety:
// the I/O thread's.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/basic_stream.hpp>
#include <boost/beast/core/rate_policy.hpp>

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

}  // namespace credctl::server
