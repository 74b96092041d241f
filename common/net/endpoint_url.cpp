#include "common/net/endpoint_url.hpp"

#include "common/net/loopback.hpp"

#include <boost/url/parse.hpp>

namespace credctl::net {

std::optional<std::string> endpoint_url_problem(std::string_view url, PlainHttp plain_http) {
    const bool http = url.starts_with("http://");
    if (!http && !url.starts_with("https://")) return "not an http(s) URL";
    auto u = boost::urls::parse_absolute_uri(url);
    if (!u) return "not a valid absolute URL without a fragment";
    // Boost.URL 1.81 reads "http://127.0.0.1.example.net/x" as host 127.0.0.1
    // and path ".example.net/x"; after a host, a path starts with '/'.
    if (u->host().empty() || (!u->encoded_path().empty() && u->encoded_path().front() != '/')) {
        return "not a URL with a host";
    }
    if (!http) return std::nullopt;
    if (plain_http == PlainHttp::refused) return "plain http is allowed only under a loopback http issuer";
    std::string host = u->host_address();
    if (host.size() > 2 && host.front() == '[') host = host.substr(1, host.size() - 2);
    if (!is_loopback_host(host)) return "plain http is allowed only for loopback hosts";
    return std::nullopt;
}

std::string quoted_for_message(std::string_view text) {
    constexpr std::string_view k_hex = "0123456789abcdef";
    std::string out = "\"";
    for (const char ch : text.substr(0, k_max_quoted_bytes)) {
        const auto b = static_cast<unsigned char>(ch);
        if (b < 0x20 || b >= 0x7f || ch == '"' || ch == '\\') {
            out += "\\x";
            out += k_hex[b >> 4];
            out += k_hex[b & 0xf];
        } else {
            out += ch;
        }
    }
    out += '"';
    if (text.size() > k_max_quoted_bytes) out += "...";
    return out;
}

}  // namespace credctl::net
