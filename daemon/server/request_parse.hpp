// How credd reads a request's head and body (docs/api.md "Limits"): the
// limits every session sets on its parser before each read, and the same
// parsing over bytes already in memory, for tests and fuzzing of what any
// local user can send.
//
// Used by the server's sessions (daemon/server/server.cpp) for the limits.
// Thread-safety: pure functions.
#pragma once

#include "common/error/error.hpp"
#include "daemon/config/daemon_config.hpp"
#include "daemon/server/api.hpp"

#include <boost/beast/http/error.hpp>
#include <boost/beast/http/field.hpp>
#include <boost/system/error_code.hpp>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

namespace credctl::server {

// Sets the head and body limits of a Beast request parser (any body type)
// from `limits`: a longer head, or a body announced or grown past the
// limit, fails the read with header_limit or body_limit (read_failure()
// turns both into payload_too_large).
template <class RequestParser>
void apply_request_limits(RequestParser& parser, const daemon::Limits& limits) {
    parser.header_limit(static_cast<std::uint32_t>(limits.max_head_bytes));
    parser.body_limit(limits.max_body_bytes);
}

// Whether a head of `head_bytes` (request line, header fields and the
// blank line) is over limits.max_head_bytes. Beast's header limit counts the
// fields apart from the request line once that line is parsed, so a head
// longer than the limit by up to the request line's length got through it;
// the session checks the whole head with this once it is read, and refuses
// it as header_limit.
[[nodiscard]] constexpr bool head_too_large(std::size_t head_bytes, const daemon::Limits& limits) {
    return head_bytes > limits.max_head_bytes;
}

// Why a request whose head is read is refused, if it is: a head over
// limits.max_head_bytes (head_too_large), or any Transfer-Encoding. credctl
// always sends Content-Length; Beast bounds neither a chunk's size line nor
// the trailer, whose bytes would pile up in the session's buffer, and reads
// a coding other than chunked as no body at all, so that the body's bytes
// would be read as the next request (read_failure() tells the client
// bad_request).
template <class RequestParser>
[[nodiscard]] boost::system::error_code head_failure(const RequestParser& parser, std::size_t head_bytes,
                                                     const daemon::Limits& limits) {
    if (head_too_large(head_bytes, limits)) return boost::beast::http::error::header_limit;
    if (parser.chunked() || parser.get().count(boost::beast::http::field::transfer_encoding) != 0) {
        return boost::beast::http::error::bad_transfer_encoding;
    }
    return {};
}

// The most a session's buffer holds: a head and a body at their limits and
// what a read brings beyond them. A request cannot need more; over it the
// read fails with buffer_overflow (payload_too_large).
[[nodiscard]] constexpr std::size_t request_buffer_limit(const daemon::Limits& limits) {
    return limits.max_head_bytes + limits.max_body_bytes + 64 * 1024;
}

struct ParsedRequest {
    ApiRequest request;
    bool keep_alive = true;
    std::size_t head_bytes = 0;  // the request line and header fields, blank line included
    std::size_t consumed = 0;    // the whole request; a pipelined next one starts here
};

// The first request in `bytes`, parsed as a session reads it: the head
// first, then the body, under apply_request_limits(). std::nullopt when
// the bytes end before the request does (a session would read on).
// Errors: what read_failure() tells the client (payload_too_large,
// bad_request naming the parser's complaint).
[[nodiscard]] Result<std::optional<ParsedRequest>> parse_request(std::string_view bytes, const daemon::Limits& limits);

}  // namespace credctl::server
