#include "cli/client/reply_parse.hpp"

#include "common/secret/secret_http.hpp"

#include <boost/asio/buffer.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>

namespace credctl::cli {

namespace http = boost::beast::http;

Result<std::optional<DaemonReply>> parse_reply(std::string_view bytes) {
    http::response_parser<SecretBody, ZeroingAllocator<char>> parser;
    parser.body_limit(k_max_reply_bytes);
    parser.eager(true);
    boost::system::error_code ec;
    std::size_t used = 0;
    while (!ec && !parser.is_done() && used < bytes.size()) {
        const std::size_t n = parser.put(boost::asio::buffer(bytes.data() + used, bytes.size() - used), ec);
        used += n;
        if (n == 0 && !ec) break;
    }
    if (ec == http::error::need_more) ec = {};
    // The daemon closed here: a body that runs to the end of the connection
    // is complete; anything else is cut short.
    if (!ec && !parser.is_done() && parser.is_header_done()) parser.put_eof(ec);
    if (ec == http::error::partial_message) return std::optional<DaemonReply>();
    if (ec) return make_error(Errc::daemon_unreachable, "credd's answer cannot be read: " + ec.message());
    if (!parser.is_done()) return std::optional<DaemonReply>();
    auto& res = parser.get();
    return std::optional<DaemonReply>(DaemonReply{static_cast<int>(res.result_int()), std::move(res.body())});
}

}  // namespace credctl::cli
