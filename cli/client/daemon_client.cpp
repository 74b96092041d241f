#include "cli/client/daemon_client.hpp"

#include "cli/client/daemon_locator.hpp"
#include "common/wire/wire.hpp"

#include <sodium.h>
#include <sys/socket.h>
#include <boost/asio/io_context.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>

namespace credctl::cli {
namespace {

namespace asio = boost::asio;
namespace http = boost::beast::http;
using local = asio::local::stream_protocol;

Error unreachable(const std::string& socket, const boost::system::error_code& ec) {
    return make_error(Errc::daemon_unreachable,
                      "cannot reach credd at " + socket + ": " + ec.message() + "\n" + how_to_start_credd());
}

}  // namespace

Result<DaemonReply> DaemonClient::request(const std::string& method, const std::string& target,
                                          const std::string& body) const {
    asio::io_context io;
    local::socket sock(io);
    boost::system::error_code ec;
    sock.connect(local::endpoint(socket_), ec);
    if (ec) return unreachable(socket_, ec);
    // A body may carry a refresh token: only a daemon user may receive it.
    if (!body.empty()) {
        if (auto r = check_daemon_peer(sock.native_handle(), socket_); !r) return r.error();
    }
    // Blocking I/O with kernel timeouts: a wedged daemon cannot hang a script.
    const timeval tv{static_cast<time_t>(timeout_.count()), 0};
    ::setsockopt(sock.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    ::setsockopt(sock.native_handle(), SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);

    http::request<http::string_body> req{http::string_to_verb(method), target, 11};
    req.set(http::field::host, "localhost");
    req.set(http::field::user_agent, "credctl/" CREDCTL_VERSION);
    req.keep_alive(false);
    if (!body.empty()) {
        req.set(http::field::content_type, "application/json");
        req.body() = body;
    }
    req.prepare_payload();
    http::write(sock, req, ec);
    sodium_memzero(req.body().data(), req.body().size());
    if (ec) return unreachable(socket_, ec);

    boost::beast::flat_buffer buffer;
    http::response_parser<http::string_body> parser;
    parser.body_limit(1024 * 1024);
    http::read(sock, buffer, parser, ec);
    if (ec) {
        return make_error(Errc::daemon_unreachable, "credd at " + socket_ + " closed the connection: " + ec.message());
    }
    auto& res = parser.get();
    return DaemonReply{static_cast<int>(res.result_int()), std::move(res.body())};
}

Result<void> DaemonClient::verify_peer() const {
    asio::io_context io;
    local::socket sock(io);
    boost::system::error_code ec;
    sock.connect(local::endpoint(socket_), ec);
    if (ec) return unreachable(socket_, ec);
    return check_daemon_peer(sock.native_handle(), socket_);
}

Result<DaemonReply> DaemonClient::call(const std::string& method, const std::string& target,
                                       const std::string& body) const {
    auto r = request(method, target, body);
    if (!r) return r;
    if (r->status >= 200 && r->status < 300) return r;
    return wire::parse_problem(r->status, r->body);
}

}  // namespace credctl::cli
