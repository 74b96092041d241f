#include "daemon/server/request_parse.hpp"

#include "common/secret/secret_http.hpp"
#include "daemon/server/http_text.hpp"

#include <boost/asio/buffer.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>

namespace credctl::server {

namespace http = boost::beast::http;

namespace {

// Feeds `bytes` from `used` on until `done` holds, the input ends or the
// parser fails; need_more means the input ended.
template <class Parser, class Done>
void feed(Parser& parser, std::string_view bytes, std::size_t& used, boost::system::error_code& ec, Done done) {
    while (!ec && !done() && used < bytes.size()) {
        const std::size_t n = parser.put(boost::asio::buffer(bytes.data() + used, bytes.size() - used), ec);
        used += n;
        if (n == 0 && !ec) break;
    }
    if (ec == http::error::need_more) ec = {};
}

Error failure(const boost::system::error_code& ec, const daemon::Limits& limits) {
    if (auto f = read_failure(ec, limits)) return *f;
    return make_error(Errc::bad_request, "malformed request: " + ec.message());
}

}  // namespace

Result<std::optional<ParsedRequest>> parse_request(std::string_view bytes, const daemon::Limits& limits) {
    http::request_parser<SecretBody, ZeroingAllocator<char>> parser;
    apply_request_limits(parser, limits);
    boost::system::error_code ec;
    std::size_t used = 0;
    feed(parser, bytes, used, ec, [&] { return parser.is_header_done(); });
    if (ec) return failure(ec, limits);
    if (!parser.is_header_done()) return std::optional<ParsedRequest>();
    const std::size_t head_bytes = used;
    if (const auto refused = head_failure(parser, head_bytes, limits)) return failure(refused, limits);
    feed(parser, bytes, used, ec, [&] { return parser.is_done(); });
    if (ec) return failure(ec, limits);
    if (!parser.is_done()) return std::optional<ParsedRequest>();
    auto& req = parser.get();
    ParsedRequest out;
    out.request = ApiRequest{std::string(req.method_string()), std::string(req.target()), std::move(req.body())};
    out.keep_alive = req.keep_alive();
    out.head_bytes = head_bytes;
    out.consumed = used;
    return std::optional<ParsedRequest>(std::move(out));
}

}  // namespace credctl::server
