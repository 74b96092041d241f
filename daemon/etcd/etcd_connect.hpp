// Connecting to one etcd member, for EtcdClient's calls, EtcdProbe's and
// EtcdWatch's stream: resolve, TCP connect and, for an https endpoint, the TLS handshake
// with SNI, verifying the member's certificate against its host name. Then
// the caller's coroutine runs on the connected stream, plain or TLS; for a
// call of the JSON gateway, round_trip() is that coroutine.
//
// Internal to daemon/etcd (it brings Beast and Asio's TLS with it: include it
// from .cpp files only). Thread-safety: the calling coroutine's.
#pragma once

#include "daemon/etcd/etcd_endpoint.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <utility>

namespace credctl::etcd {

// The names the client and the watch write their Beast and Asio code with.
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
namespace ssl = boost::asio::ssl;
using tcp = asio::ip::tcp;
inline constexpr auto k_tuple = asio::as_tuple(asio::use_awaitable);

// A connection to one member, plain or TLS; none before connect_member().
// Destroying it (or close()) closes the socket.
struct MemberStream {
    std::optional<beast::tcp_stream> plain;
    std::optional<beast::ssl_stream<beast::tcp_stream>> secure;

    [[nodiscard]] bool open() const { return plain.has_value() || secure.has_value(); }
    void close() {
        secure.reset();
        plain.reset();
    }
    // The TCP layer, whose deadline bounds every operation on the stream.
    beast::tcp_stream& tcp() { return secure ? secure->next_layer() : *plain; }
    // Co_awaits `use(stream)` on whichever stream is open.
    template <class Use>
    asio::awaitable<void> with(Use& use) {
        if (secure) {
            co_await use(*secure);
        } else {
            co_await use(*plain);
        }
    }
};

// Connects `out` to member `e` before `deadline`: resolve, TCP connect and,
// for https, the TLS handshake with SNI, verifying the member's certificate
// against its host name. Returns why it could not connect, or "" with `out`
// open.
inline asio::awaitable<std::string> connect_member(const Endpoint& e, ssl::context* tls,
                                                   std::chrono::steady_clock::time_point deadline, MemberStream& out) {
    out.close();
    auto ex = co_await asio::this_coro::executor;
    tcp::resolver resolver(ex);
    auto [dec, found] = co_await resolver.async_resolve(e.host, e.port, k_tuple);
    if (dec) co_return "resolving " + e.host + ": " + dec.message();
    beast::tcp_stream tcp_stream(ex);
    tcp_stream.expires_at(deadline);
    auto [cec, ep] = co_await tcp_stream.async_connect(found, k_tuple);
    if (cec == beast::error::timeout) co_return "timed out connecting";
    if (cec) co_return "connecting: " + cec.message();
    if (!e.tls) {
        out.plain.emplace(std::move(tcp_stream));
        co_return "";
    }
    auto& stream = out.secure.emplace(std::move(tcp_stream), *tls);
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wold-style-cast"
    SSL_set_tlsext_host_name(stream.native_handle(), e.host.c_str());
#pragma GCC diagnostic pop
    stream.set_verify_callback(ssl::host_name_verification(e.host));
    auto [hec] = co_await stream.async_handshake(ssl::stream_base::client, k_tuple);
    if (hec) {
        out.close();
        co_return "TLS handshake: " + hec.message();
    }
    co_return "";
}

// Connects before `deadline`, then co_awaits `use(stream)` (a coroutine
// taking the stream by reference; `beast::tcp_stream` or
// `beast::ssl_stream<beast::tcp_stream>`) on a connection of its own, closed
// after. Returns why it could not connect, or "" once `use` has run.
template <class Use>
asio::awaitable<std::string> with_member(const Endpoint& e, ssl::context* tls,
                                         std::chrono::steady_clock::time_point deadline, Use use) {
    MemberStream stream;
    std::string failed = co_await connect_member(e, tls, deadline, stream);
    if (!failed.empty()) co_return failed;
    co_await stream.with(use);
    co_return "";
}

// One POST to the JSON gateway and its outcome: the answer's status and body,
// or why none came.
struct Exchange {
    int status = 0;
    std::string body;
    std::string failure;
    bool keep_alive = false;  // the member left the connection open for another request
};

// `keep_alive`: the connection is kept for the next request (EtcdClient);
// otherwise the member closes it after answering.
inline bhttp::request<bhttp::string_body> gateway_request(const Endpoint& e, const char* path, std::string body,
                                                          bool keep_alive = false) {
    bhttp::request<bhttp::string_body> req{bhttp::verb::post, path, 11};
    req.set(bhttp::field::host, e.host + ":" + e.port);
    req.set(bhttp::field::content_type, "application/json");
    req.set(bhttp::field::connection, keep_alive ? "keep-alive" : "close");
    req.body() = std::move(body);
    req.prepare_payload();
    return req;
}

// Sends `req` on a connected stream (see with_member) and reads the answer,
// whose body may hold at most `max_bytes`, into `out`.
template <class Stream>
asio::awaitable<void> round_trip(Stream& stream, const bhttp::request<bhttp::string_body>& req, std::size_t max_bytes,
                                 Exchange& out) {
    auto [wec, wn] = co_await bhttp::async_write(stream, req, k_tuple);
    if (wec) co_return out.failure = "sending: " + wec.message(), void();
    beast::flat_buffer buffer;
    bhttp::response_parser<bhttp::string_body> parser;
    parser.body_limit(max_bytes);
    auto [rec, rn] = co_await bhttp::async_read(stream, buffer, parser, k_tuple);
    if (rec == beast::error::timeout) co_return out.failure = "timed out waiting for the answer", void();
    if (rec) co_return out.failure = "reading the answer: " + rec.message(), void();
    out.status = static_cast<int>(parser.get().result_int());
    out.keep_alive = parser.get().keep_alive();
    out.body = std::move(parser.get().body());
}

}  // namespace credctl::etcd
