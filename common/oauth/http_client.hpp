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
[[nodiscard]] boost::asio::awaitable<Attempt<Response>> async_exchange(const Request& request, const Options& options);

}  // namespace credctl::http
