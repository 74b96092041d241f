#include "common/oauth/http_client.hpp"

#include "common/net/loopback.hpp"
#include "common/oauth/name_lookup.hpp"
#include "common/secret/secret_http.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/url/parse.hpp>

#include <charconv>
#include <optional>
#include <vector>

namespace credctl::http {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
namespace ssl = boost::asio::ssl;
using tcp = asio::ip::tcp;
constexpr auto k_tuple = asio::as_tuple(asio::use_awaitable);

struct Target {
    bool tls = false;
    std::string host;
    std::string port;
    std::string path;  // path and query
};

Result<Target> parse_target(const std::string& url) {
    auto u = boost::urls::parse_absolute_uri(url);
    if (!u) return make_error(Errc::bad_request, "not an absolute URL: \"" + url + "\"");
    Target t;
    const auto scheme = u->scheme();
    if (scheme == "https") {
        t.tls = true;
    } else if (scheme != "http") {
        return make_error(Errc::bad_request, "unsupported URL scheme: \"" + url + "\"");
    }
    t.host = u->host_address();
    if (t.host.size() > 2 && t.host.front() == '[') t.host = t.host.substr(1, t.host.size() - 2);
    if (t.host.empty()) return make_error(Errc::bad_request, "URL has no host: \"" + url + "\"");
    if (!t.tls && !net::is_loopback_host(t.host)) {
        return make_error(Errc::bad_request, "plain http is allowed only for loopback hosts: \"" + url + "\"");
    }
    t.port = u->has_port() ? std::string(u->port()) : (t.tls ? "443" : "80");
    t.path = std::string(u->encoded_path());
    if (t.path.empty()) t.path = "/";
    if (u->has_query()) t.path += "?" + std::string(u->encoded_query());
    return t;
}

Error unavailable(const std::string& url, std::string_view what, const boost::system::error_code& ec) {
    std::string msg = "provider request to " + url + " failed: " + std::string(what);
    if (ec) msg += ": " + ec.message();
    return make_error(Errc::provider_unavailable, std::move(msg));
}

SecretRequest build(const Request& r, const Target& t) {
    SecretRequest req;
    req.method_string(r.method);
    req.target(t.path);
    req.version(11);
    const bool default_port = t.port == (t.tls ? "443" : "80");
    req.set(bhttp::field::host, default_port ? t.host : t.host + ":" + t.port);
    req.set(bhttp::field::user_agent, "credctl/" CREDCTL_VERSION);
    req.set(bhttp::field::connection, "close");
    for (const auto& [k, v] : r.headers) req.set(k, v);
    if (!r.body.empty() || r.method == "POST") {
        req.body() = r.body;
        req.prepare_payload();
    }
    return req;
}

// Transport failures that a later attempt may not meet again.
bool transient(const boost::system::error_code& ec) {
    return ec == beast::error::timeout || ec == asio::error::connection_refused ||
           ec == asio::error::connection_reset || ec == asio::error::connection_aborted ||
           ec == asio::error::host_unreachable || ec == asio::error::network_unreachable ||
           ec == asio::error::timed_out || ec == asio::error::host_not_found_try_again ||
           ec == asio::error::broken_pipe || ec == bhttp::error::end_of_stream || ec == asio::error::eof ||
           ec == bhttp::error::partial_message;
}

template <class Stream>
asio::awaitable<Attempt<Response>> round_trip(Stream& stream, const Request& r, const Target& t, const Options& o) {
    auto req = build(r, t);
    auto [wec, wn] = co_await bhttp::async_write(stream, req, k_tuple);
    if (wec) co_return Attempt<Response>{unavailable(r.url, "sending the request", wec), transient(wec)};
    // A token answer (two or three JWTs) in one read, not 512 bytes a read.
    SecretBuffer buffer;
    buffer.reserve(16 * 1024);
    bhttp::response_parser<SecretBody, ZeroingAllocator<char>> parser;
    parser.header_limit(16 * 1024);
    parser.body_limit(o.max_body_bytes);
    auto [rec, rn] = co_await bhttp::async_read(stream, buffer, parser, k_tuple);
    if (rec == bhttp::error::body_limit) {
        co_return Attempt<Response>{
            unavailable(r.url, "response larger than " + std::to_string(o.max_body_bytes) + " bytes", {}), false};
    }
    if (rec == beast::error::timeout) {
        co_return Attempt<Response>{unavailable(r.url, "reading the response (timed out)", {}), true};
    }
    if (rec) co_return Attempt<Response>{unavailable(r.url, "reading the response", rec), transient(rec)};
    auto& res = parser.get();
    Response out;
    out.status = static_cast<int>(res.result_int());
    out.content_type = std::string(res[bhttp::field::content_type]);
    out.location = std::string(res[bhttp::field::location]);
    out.body = std::move(res.body());
    co_return Attempt<Response>{std::move(out), false};
}

// The scheme, host and port a connection is made to.
std::string origin_of(const Target& t) {
    return (t.tls ? "https://" : "http://") + t.host + ":" + t.port;
}

// Loads the trust anchors into a TLS 1.2+ client context.
Result<void> configure_tls(ssl::context& ctx, const Options& o) {
    ctx.set_options(ssl::context::no_sslv2 | ssl::context::no_sslv3 | ssl::context::no_tlsv1 |
                    ssl::context::no_tlsv1_1);
    // credctl.toml(5) [providers.NAME]: TLS 1.2 is the floor, whatever the
    // system's OpenSSL defaults.
    SSL_CTX_set_min_proto_version(ctx.native_handle(), TLS1_2_VERSION);
    // OpenSSL decrypts records in place: without this, the plaintext of the
    // answer (the tokens) would stay in its freed read buffers.
    SSL_CTX_set_options(ctx.native_handle(), SSL_OP_CLEANSE_PLAINTEXT);
    boost::system::error_code ec;
    if (o.ca_file.empty()) {
        ctx.set_default_verify_paths(ec);
    } else {
        ctx.load_verify_file(o.ca_file, ec);
    }
    if (ec) return make_error(Errc::provider_unavailable, "loading trust anchors: " + ec.message());
    ctx.set_verify_mode(ssl::verify_peer);
    return {};
}

}  // namespace

// Destroyed in reverse: the TLS stream before the context it refers to.
struct Connection::Impl {
    std::string origin;
    std::optional<ssl::context> ctx;
    std::optional<beast::tcp_stream> tcp;
    std::optional<beast::ssl_stream<beast::tcp_stream>> tls;

    beast::tcp_stream& lowest() { return tls ? beast::get_lowest_layer(*tls) : *tcp; }
};

Connection::Connection() = default;
Connection::Connection(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Connection::~Connection() = default;
Connection::Connection(Connection&& other) noexcept = default;
Connection& Connection::operator=(Connection&& other) noexcept = default;

namespace {

// The endpoint of a host written as an address (127.0.0.1, ::1), which
// needs no lookup: Asio's resolver would still hand it to a thread of its
// own and back, two thread hops in every refresh. std::nullopt for a name.
std::optional<tcp::endpoint> literal_endpoint(const Target& t) {
    boost::system::error_code ec;
    const auto address = asio::ip::make_address(t.host, ec);
    if (ec) return std::nullopt;
    unsigned port = 0;
    const auto [end, pec] = std::from_chars(t.port.data(), t.port.data() + t.port.size(), port);
    if (pec != std::errc{} || end != t.port.data() + t.port.size() || port > 65535) return std::nullopt;
    return tcp::endpoint(address, static_cast<unsigned short>(port));
}

// Resolves, connects and, for https, verifies the peer against the trust
// anchors and the host name; all by `deadline`.
asio::awaitable<Attempt<Connection>> open(const Target& t, const std::string& url, const Options& o,
                                          std::chrono::steady_clock::time_point deadline) {
    auto ex = co_await asio::this_coro::executor;
    std::vector<tcp::endpoint> endpoints;
    if (auto literal = literal_endpoint(t)) {
        endpoints.push_back(*literal);
    } else {
        // On a thread of its own, by the deadline (name_lookup.hpp).
        auto found = co_await look_up(t.host, t.port, deadline);
        if (const auto dec = found.error) {
            const bool retryable = transient(dec) || dec == asio::error::host_not_found;
            const bool late = dec == asio::error::timed_out;
            co_return Attempt<Connection>{
                unavailable(url, "resolving " + t.host + (late ? " (timed out)" : ""), late ? decltype(dec){} : dec),
                retryable};
        }
        endpoints = std::move(found.endpoints);
    }
    auto c = std::make_unique<Connection::Impl>();
    c->origin = origin_of(t);
    beast::tcp_stream& stream = c->tcp.emplace(ex);
    stream.expires_at(std::min(deadline, std::chrono::steady_clock::now() + o.connect_timeout));
    auto [cec, ep] = co_await stream.async_connect(endpoints, k_tuple);
    if (cec) {
        co_return Attempt<Connection>{
            unavailable(url, cec == beast::error::timeout ? "connecting (timed out)" : "connecting", cec), true};
    }
    stream.expires_at(deadline);
    if (!t.tls) co_return Attempt<Connection>{Connection(std::move(c)), false};
    if (auto r = configure_tls(c->ctx.emplace(ssl::context::tls_client), o); !r) {
        co_return Attempt<Connection>{
            make_error(Errc::provider_unavailable, "provider request to " + url + " failed: " + r.error().message),
            false};
    }
    auto& tls = c->tls.emplace(std::move(stream), *c->ctx);
    c->tcp.reset();
    // SNI, then verify the certificate against the host name (RFC 6125).
    // SSL_set_tlsext_host_name is a macro with a C cast inside.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wold-style-cast"
    const bool sni_ok = SSL_set_tlsext_host_name(tls.native_handle(), t.host.c_str()) == 1;
#pragma GCC diagnostic pop
    if (!sni_ok) co_return Attempt<Connection>{unavailable(url, "setting SNI", {}), false};
    tls.set_verify_callback(ssl::host_name_verification(t.host));
    auto [hec] = co_await tls.async_handshake(ssl::stream_base::client, k_tuple);
    if (hec) {
        // A certificate that does not verify will not verify next time.
        const bool retryable = hec.category() != asio::error::get_ssl_category() && transient(hec);
        co_return Attempt<Connection>{unavailable(url, "TLS handshake", hec), retryable};
    }
    co_return Attempt<Connection>{Connection(std::move(c)), false};
}

asio::awaitable<Attempt<Response>> run(const Request& r, const Options& o, Connection* connection) {
    Connection c;
    if (connection != nullptr) c = std::move(*connection);
    auto parsed = parse_target(r.url);
    if (!parsed) co_return Attempt<Response>{parsed.error(), false};
    const Target& t = *parsed;
    const auto deadline = std::chrono::steady_clock::now() + o.timeout;
    if (!c || c.impl().origin != origin_of(t)) {
        auto opened = co_await open(t, r.url, o, deadline);
        if (!opened.result) co_return Attempt<Response>{opened.result.error(), opened.retryable};
        c = std::move(*opened.result);
    }
    auto& conn = c.impl();
    conn.lowest().expires_at(deadline);
    if (conn.tls) co_return co_await round_trip(*conn.tls, r, t, o);
    co_return co_await round_trip(*conn.tcp, r, t, o);
}

asio::awaitable<Attempt<Connection>> connect(const std::string& url, const Options& o) {
    auto parsed = parse_target(url);
    if (!parsed) co_return Attempt<Connection>{parsed.error(), false};
    co_return co_await open(*parsed, url, o, std::chrono::steady_clock::now() + o.timeout);
}

}  // namespace

asio::awaitable<Attempt<Response>> async_exchange(const Request& request, const Options& options,
                                                  Connection* connection) {
    // Beast and Asio may throw (bad_alloc, a header value they refuse): the
    // one exchange fails, not its caller.
    try {
        co_return co_await run(request, options, connection);
    } catch (...) {
    }
    co_return Attempt<Response>{make_error(Errc::internal, "provider request to " + request.url + " failed"), false};
}

asio::awaitable<Attempt<Connection>> async_connect(const std::string& url, const Options& options) {
    try {
        co_return co_await connect(url, options);
    } catch (...) {
    }
    co_return Attempt<Connection>{make_error(Errc::internal, "connecting to " + url + " failed"), false};
}

}  // namespace credctl::http
