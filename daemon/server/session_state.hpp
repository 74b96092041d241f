// What the server (server.cpp) keeps of each connection: the stream type of
// a session on the Unix socket, whether it is serving a request or writing
// the rest of an answer, and a connection waiting for a slot of its uid
// (admission.hpp); what a stop does to the sessions (StopGrace); how a
// session takes a request head that is already waiting, and writes an
// answer at once.
//
// Internal to server.cpp (it brings Beast and Asio with it). Thread-safety:
// the I/O thread's.
#pragma once

#include "daemon/server/http_text.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/basic_stream.hpp>
#include <boost/beast/core/rate_policy.hpp>
#include <boost/beast/core/read_size.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/system/error_code.hpp>

#include <chrono>
#include <cstddef>
#include <optional>
#include <set>
#include <string_view>

namespace credctl::server {

using Stream = boost::beast::basic_stream<boost::asio::local::stream_protocol, boost::asio::any_io_executor,
                                          boost::beast::unlimited_rate_policy>;

struct Session {
    Stream* stream = nullptr;
    bool busy = false;
    bool writing = false;  // the rest of an answer its socket did not take at once (write_rest())
};

// What a stop does to the sessions (`sessions`, the server's): those that
// wait for a request, or for the rest of its body, are closed at once;
// busy ones finish their request; and one still writing the rest of an
// answer (write_rest()) a second after the stop is closed then, as is one
// that begins to write later than that. A client that does not read its
// answer holds credd's stop for that second, not for the idle timeout.
class StopGrace {
public:
    static constexpr std::chrono::milliseconds k_grace{1000};

    StopGrace(boost::asio::io_context& io, const std::set<Session*>& sessions,
              std::chrono::milliseconds grace = k_grace)
        : timer_(io), sessions_(sessions), grace_(grace) {}

    void stop() {
        deadline_ = std::chrono::steady_clock::now() + grace_;
        for (auto* s : sessions_) {
            if (!s->busy) close(*s);
            if (s->writing) watch();
        }
    }
    // `session` is about to write the rest of an answer.
    void begin_write(Session& session) {
        if (!deadline_) return;
        if (std::chrono::steady_clock::now() >= *deadline_) {
            close(session);
        } else {
            watch();
        }
    }

private:
    static void close(Session& s) {
        boost::system::error_code ec;
        s.stream->socket().close(ec);
    }
    // Closes, at the deadline, the sessions still writing then. Armed only
    // when one writes: otherwise nothing holds the loop after a stop.
    void watch() {
        if (watching_) return;
        watching_ = true;
        timer_.expires_at(*deadline_);
        timer_.async_wait([this](const boost::system::error_code& ec) {
            if (ec) return;
            for (auto* s : sessions_) {
                if (s->writing) close(*s);
            }
        });
    }

    boost::asio::steady_timer timer_;
    const std::set<Session*>& sessions_;
    const std::chrono::milliseconds grace_;
    std::optional<std::chrono::steady_clock::time_point> deadline_;  // set by stop()
    bool watching_ = false;
};

// Awaits `rest`, the part of an answer that `session`'s socket did not take
// at once (reply_round.hpp), with the session marked as writing for `grace`.
inline boost::asio::awaitable<void> write_rest(Session& session, StopGrace& grace, boost::asio::awaitable<void> rest) {
    grace.begin_write(session);
    session.writing = true;
    co_await std::move(rest);
    session.writing = false;
}

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
