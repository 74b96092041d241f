// The login's loopback listener (cli/loopback): the request head a browser,
// or any local process, sends to 127.0.0.1, read with the listener's head
// limit, and the callback's query (parse_callback), also as a pasted line.
// An answer is accepted only with this login's exact state and a code or an
// error; a refusal never echoes what was sent.
//
// Input: the first byte picks the shape. Even: the rest is the bytes of an
// HTTP request. Odd: the rest is a pasted redirect address.
#include "cli/loopback/loopback.hpp"
#include "fuzz_check.hpp"

#include <sodium.h>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/parser.hpp>

using namespace credctl;

extern "C" int LLVMFuzzerInitialize(int*, char***) {
    return sodium_init() < 0 ? 1 : 0;
}

namespace {

namespace http = boost::beast::http;

constexpr std::uint32_t k_max_head_bytes = 16 * 1024;  // cli/loopback/loopback.cpp
constexpr std::string_view k_state = "Zm9vYmFyYmF6cXV4";

void callback(std::string_view text) {
    const auto cb = cli::parse_callback(text, k_state);
    if (!cb) {
        fuzz::check(cb.error().code == Errc::bad_request, "a refused callback is bad_request");
        const std::string& m = cb.error().message;
        fuzz::check(m == "not a redirect to this login's /callback" ||
                        m == "this answer does not belong to the login in progress (state mismatch)" ||
                        m == "the answer carries no authorization code",
                    "a refusal is one of the fixed messages: it never echoes the request", m);
        return;
    }
    fuzz::check(text.find(k_state) != std::string_view::npos || text.find('%') != std::string_view::npos,
                "an accepted callback carries this login's state");
    fuzz::check(!cb->code.empty() || !cb->error.empty(), "an accepted callback has a code or an error");
}

void request(std::string_view bytes) {
    http::request_parser<http::empty_body> parser;
    parser.header_limit(k_max_head_bytes);
    parser.eager(true);
    boost::system::error_code ec;
    const std::size_t used = parser.put(boost::asio::buffer(bytes.data(), bytes.size()), ec);
    fuzz::check(used <= bytes.size(), "the parser consumes no more than it is given");
    if (ec || !parser.is_header_done()) return;
    fuzz::check(used <= k_max_head_bytes, "a head over the limit is refused");
    const std::string target(parser.get().target());
    callback(target);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    return fuzz::one_of_two(data, size, request, callback);
}
