#include "daemon/server/http_text.hpp"

#include <boost/asio/error.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/status.hpp>

namespace credctl::server {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;

// What a client whose request could not be read is told, or std::nullopt when
// the connection simply ended (closed, idle, shutdown) and nothing is owed.
// Beast checks Content-Length against body_limit as soon as the head is read,
// so an announced oversized body is refused before any of it is read.
std::optional<Error> read_failure(const boost::system::error_code& ec, const daemon::Limits& limits) {
    if (ec == http::error::body_limit) {
        return make_error(Errc::payload_too_large,
                          "request body larger than " + std::to_string(limits.max_body_bytes) + " bytes");
    }
    if (ec == http::error::header_limit) {
        return make_error(Errc::payload_too_large,
                          "request head larger than " + std::to_string(limits.max_head_bytes) + " bytes");
    }
    if (ec == http::error::buffer_overflow) {
        return make_error(
            Errc::payload_too_large,
            "request larger than " + std::to_string(limits.max_head_bytes + limits.max_body_bytes) + " bytes");
    }
    if (ec == http::error::bad_transfer_encoding) {
        return make_error(Errc::bad_request, "Transfer-Encoding is not accepted: send the body with Content-Length");
    }
    if (ec == http::error::end_of_stream || ec == http::error::partial_message ||
        ec == asio::error::operation_aborted || ec == beast::error::timeout || ec == asio::error::bad_descriptor) {
        return std::nullopt;
    }
    return make_error(Errc::bad_request, "malformed request: " + ec.message());
}

// The status line and header fields of an answer, written by hand: Beast's
// response fields and serializer cost an allocation per field and a pass of
// buffer iterators per answer, a visible share of the fan-out to 1000
// waiters. No Content-Length in a 204 (RFC 9110 §8.6).
std::string head_of(const ApiReply& r, bool keep_alive) {
    std::string h;
    h.reserve(200);
    h += "HTTP/1.1 ";
    h += std::to_string(r.status);
    h += ' ';
    h += http::obsolete_reason(static_cast<http::status>(r.status));
    h += "\r\nServer: credd/" CREDCTL_VERSION "\r\nCache-Control: no-store\r\n";
    if (!r.body.empty()) {
        h += "Content-Type: ";
        h += r.status >= 400 ? "application/problem+json" : r.content_type;
        h += "\r\n";
    }
    if (r.status != 204) {
        h += "Content-Length: ";
        h += std::to_string(r.body.size());
        h += "\r\n";
    }
    if (!keep_alive) h += "Connection: close\r\n";
    h += "\r\n";
    return h;
}

}  // namespace credctl::server
