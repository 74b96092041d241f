#include "common/oauth/http_client.hpp"

#include "common/net/loopback.hpp"
#include "common/secret/secret_http.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/url/parse.hpp>

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
    SecretBuffer buffer;
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

// The TLS leg of run(): verifies the peer against the trust anchors and the
// host name, then one round trip.
asio::awaitable<Attempt<Response>> tls_round_trip(beast::tcp_stream tcp_stream, const Request& r, const Target& t,
                                                  const Options& o) {
    ssl::context ctx(ssl::context::tls_client);
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
    if (ec) co_return Attempt<Response>{unavailable(r.url, "loading trust anchors", ec), false};
    ctx.set_verify_mode(ssl::verify_peer);
    beast::ssl_stream<beast::tcp_stream> stream(std::move(tcp_stream), ctx);
    // SNI, then verify the certificate against the host name (RFC 6125).
    // SSL_set_tlsext_host_name is a macro with a C cast inside.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wold-style-cast"
    const bool sni_ok = SSL_set_tlsext_host_name(stream.native_handle(), t.host.c_str()) == 1;
#pragma GCC diagnostic pop
    if (!sni_ok) co_return Attempt<Response>{unavailable(r.url, "setting SNI", {}), false};
    stream.set_verify_callback(ssl::host_name_verification(t.host));
    auto [hec] = co_await stream.async_handshake(ssl::stream_base::client, k_tuple);
    if (hec) {
        // A certificate that does not verify will not verify next time.
        const bool retryable = hec.category() != asio::error::get_ssl_category() && transient(hec);
        co_return Attempt<Response>{unavailable(r.url, "TLS handshake", hec), retryable};
    }
    co_return co_await round_trip(stream, r, t, o);
}

asio::awaitable<Attempt<Response>> run(const Request& r, const Options& o) {
    auto parsed = parse_target(r.url);
    if (!parsed) co_return Attempt<Response>{parsed.error(), false};
    const Target& t = *parsed;
    auto ex = co_await asio::this_coro::executor;
    const auto deadline = std::chrono::steady_clock::now() + o.timeout;
    tcp::resolver resolver(ex);
    auto [dec, endpoints] = co_await resolver.async_resolve(t.host, t.port, k_tuple);
    if (dec) {
        const bool retryable = transient(dec) || dec == asio::error::host_not_found;
        co_return Attempt<Response>{unavailable(r.url, "resolving " + t.host, dec), retryable};
    }
    beast::tcp_stream tcp_stream(ex);
    tcp_stream.expires_at(std::min(deadline, std::chrono::steady_clock::now() + o.connect_timeout));
    auto [cec, ep] = co_await tcp_stream.async_connect(endpoints, k_tuple);
    if (cec) {
        co_return Attempt<Response>{
            unavailable(r.url, cec == beast::error::timeout ? "connecting (timed out)" : "connecting", cec), true};
    }
    tcp_stream.expires_at(deadline);
    if (!t.tls) co_return co_await round_trip(tcp_stream, r, t, o);
    co_return co_await tls_round_trip(std::move(tcp_stream), r, t, o);
}

}  // namespace

asio::awaitable<Attempt<Response>> async_exchange(const Request& request, const Options& options) {
    // Beast and Asio may throw (bad_alloc, a header value they refuse): the
    // one exchange fails, not its caller.
    try {
        co_return co_await run(request, options);
    } catch (...) {
    }
    co_return Attempt<Response>{make_error(Errc::internal, "provider request to " + request.url + " failed"), false};
}

}  // namespace credctl::http
