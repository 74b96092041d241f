// A small asynchronous HTTPS/HTTP client for talking to OAuth providers.
//
// Built on Beast over OpenSSL. TLS always verifies the peer chain and the host
// name against the system trust store (or the given CA file); TLS 1.2 is the
// minimum; plain http is refused unless the host is a loopback address
// (credctl.toml(5) [providers.NAME]). Redirects are not followed: an OAuth
// endpoint that redirects is an error. The whole exchange runs under one
// deadline and the response body is capped, so a slow or hostile provider
// cannot hang or bloat the caller.
//
// Thread-safety: each call is independent and runs on the executor that
// awaits it (credd's exchange thread; the CLI's run_blocking()).
#pragma once

#include "common/error/error.hpp"
#include "common/secret/secret_string.hpp"

#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace credctl::http {

// Bodies and header values may hold secrets (a grant, a client secret, the
// tokens answered): they are SecretStrings, zeroed when freed, and so are the
// buffers the exchange reads and writes them through.
struct Request {
    std::string method = "GET";
    std::string url;
    std::vector<std::pair<std::string, SecretString>> headers;
    SecretString body;
};

struct Response {
    int status = 0;
    std::string content_type;
    std::string location;
    SecretString body;
};

struct Options {
    std::chrono::milliseconds connect_timeout{5000};  // TCP connect only
    std::chrono::milliseconds timeout{10000};         // the whole exchange
    std::string ca_file;                              // empty: system trust store
    std::size_t max_body_bytes = 1024 * 1024;         // docs/api.md "Refresh engine"
};

// A connection made before the one request it will carry: TCP connected
// and, for https, past the TLS handshake (the peer verified as for every
// exchange: see the top of this file), with
// nothing sent on it. credd opens one to a token endpoint while it makes a
// refresh's intent durable, so that the two waits overlap (docs/api.md
// "Refresh engine"). Destroy it on the thread that runs the executor it was
// opened on. A default-constructed Connection is empty: never opened.
class Connection {
public:
    struct Impl;
    Connection();
    explicit Connection(std::unique_ptr<Impl> impl);
    ~Connection();
    Connection(Connection&& other) noexcept;
    Connection& operator=(Connection&& other) noexcept;
    [[nodiscard]] explicit operator bool() const { return impl_ != nullptr; }
    [[nodiscard]] Impl& impl() { return *impl_; }

private:
    std::unique_ptr<Impl> impl_;
};

// Opens a connection to `url`'s host and port: the connect under `options`'
// connect timeout, then for https the handshake, all under its timeout.
// Errors and retryable as for async_exchange (below); nothing is sent.
[[nodiscard]] boost::asio::awaitable<Attempt<Connection>> async_connect(const std::string& url, const Options& options);

// Sends `request` and returns the response, whatever its status, and
// whether repeating the exchange may help: DNS, connect, reset and timeout
// failures may; a bad URL, a certificate that does not verify, an oversized
// or malformed answer will not.
// Errors: bad_request for a URL that is malformed or plain http to a
// non-loopback host; provider_unavailable for DNS, connect, TLS, timeout,
// malformed or oversized responses; internal when the exchange throws.
// Messages name the URL, never the body. Nothing blocks a thread, so a slow
// provider holds up only the coroutines waiting for it. `request` and
// `options` must outlive the co_await.
// Over `*connection` when it was opened for the scheme, host and port of
// `request.url`, over a new connection otherwise (null, empty,
// or opened for another origin). The exchange takes the connection (it
// carries this one request) and leaves `*connection` empty. A pointer, not a
// by-value argument: g++ 12 may destroy a by-value temporary passed to a
// coroutine twice (GCC PR 99576).
[[nodiscard]] boost::asio::awaitable<Attempt<Response>> async_exchange(const Request& request, const Options& options,
                                                                       Connection* connection = nullptr);

}  // namespace credctl::http
