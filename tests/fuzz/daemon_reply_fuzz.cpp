// credd's answer as credctl reads it (cli/client/reply_parse.hpp): status
// line, header fields and body, with the reply size limit, then the body as
// the problem document credctl turns a refusal into. A socket served by
// something else must give an error value, never a crash or an answer
// larger than the limit. And an answer credctl's reader accepts, Beast's
// HTTP parser (which credctl used before) reads alike: same status, same
// body.
#include "cli/client/reply_parse.hpp"
#include "common/wire/wire.hpp"
#include "fuzz_check.hpp"

#include <boost/asio/buffer.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>

using namespace credctl;

namespace {

// Beast's reading of the answer that read_reply() took `consumed` bytes for.
void check_beast_agrees(std::string_view in, bool closed, const cli::ReadReply& read) {
    namespace http = boost::beast::http;
    http::response_parser<http::string_body> parser;
    parser.body_limit(cli::k_max_reply_bytes);
    parser.header_limit(static_cast<std::uint32_t>(cli::k_max_reply_head_bytes + 1024));
    parser.eager(true);
    boost::system::error_code ec;
    std::size_t used = 0;
    const std::string_view answer = in.substr(0, read.consumed);
    while (!ec && !parser.is_done() && used < answer.size()) {
        const std::size_t n = parser.put(boost::asio::buffer(answer.data() + used, answer.size() - used), ec);
        used += n;
        if (n == 0 && !ec) break;
    }
    if (ec == http::error::need_more) ec = {};
    if (!ec && !parser.is_done() && closed) parser.put_eof(ec);
    fuzz::check(!ec && parser.is_done(), "Beast reads an answer credctl's reader accepts");
    fuzz::check(parser.get().result_int() == static_cast<unsigned>(read.reply.status), "Beast reads the same status");
    fuzz::check(parser.get().body() == std::string_view(read.reply.body), "Beast reads the same body");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const auto in = fuzz::bytes(data, size);
    for (const bool closed : {false, true}) {
        const auto read = cli::read_reply(in, closed);
        if (!read) {
            fuzz::check(read.error().code == Errc::daemon_unreachable, "an unreadable answer is daemon_unreachable");
            continue;
        }
        if (!*read) continue;
        const auto& reply = (*read)->reply;
        fuzz::check((*read)->consumed <= in.size(), "the answer comes from the bytes read");
        fuzz::check(reply.body.size() <= cli::k_max_reply_bytes, "the body is within the reply limit");
        fuzz::check(reply.status >= 200 && reply.status <= 999, "the status has three digits, none interim");
        check_beast_agrees(in, closed, **read);
        if (reply.status >= 300) {
            const Error e = wire::parse_problem(reply.status, reply.body);
            fuzz::check(errc_from_string(to_string(e.code)) == e.code, "a refusal maps onto a code of the list");
        }
    }
    return 0;
}
