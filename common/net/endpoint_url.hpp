// The rule for the URLs of a provider's endpoints (SPEC §6 "TLS"): https, or
// plain http to a loopback host. The provider config applies it to the URLs
// it is given (config/provider_toml.cpp); discovery applies it to the URLs a
// provider's document names (oauth/oauth_client.cpp), and there plain http is
// allowed only under a loopback http issuer: an https issuer that named
// http://127.0.0.1:N would send codes, verifiers and client secrets to
// whichever local uid binds port N, and an authorization endpoint is never
// fetched by credctl's HTTP client, only by the browser, so nothing else
// checks it.
// Thread-safety: pure functions.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace credctl::net {

enum class PlainHttp {
    loopback,  // http:// allowed to a loopback host (net::is_loopback_host)
    refused,   // https:// only
};

// Why `url` is not an acceptable endpoint, e.g. "not an http(s) URL" or
// "plain http is allowed only for loopback hosts"; std::nullopt when it is
// one: an absolute http(s) URL with a host and no fragment.
[[nodiscard]] std::optional<std::string> endpoint_url_problem(std::string_view url, PlainHttp plain_http);

// Longest part of a value quoted_for_message shows: a provider's document
// may name a megabyte-long "URL".
inline constexpr std::size_t k_max_quoted_bytes = 256;

// `text` between double quotes for an error message: a control character,
// DEL, a byte above 0x7f, '"' or '\' as \xNN, so that a value from a provider
// cannot move a terminal's cursor or forge a log line; cut after
// k_max_quoted_bytes of `text`, then "...".
[[nodiscard]] std::string quoted_for_message(std::string_view text);

}  // namespace credctl::net
