// The few HTTP texts the server writes by hand: the head of an answer, what
// is left of an answer partly sent, and what a client whose request could
// not be read is told.
//
// Used by the server's sessions (daemon/server/server.cpp). Thread-safety:
// pure functions.
#pragma once

#include "common/error/error.hpp"
#include "daemon/config/daemon_config.hpp"
#include "daemon/server/api.hpp"

#include <boost/asio/buffer.hpp>
#include <boost/system/error_code.hpp>

#include <array>

#include <optional>
#include <string>

namespace credctl::server {

// What a client whose request could not be read is told, or std::nullopt when
// the connection simply ended (closed, idle, shutdown) and nothing is owed.
[[nodiscard]] std::optional<Error> read_failure(const boost::system::error_code& ec, const daemon::Limits& limits);

// The status line and header fields of `r`, ending with the empty line.
[[nodiscard]] std::string head_of(const ApiReply& r, bool keep_alive);

// What is left of head and body after the first `sent` bytes.
[[nodiscard]] inline std::array<boost::asio::const_buffer, 2> unsent(std::string_view head, std::string_view body,
                                                                     std::size_t sent) {
    if (sent < head.size()) return {boost::asio::buffer(head) + sent, boost::asio::buffer(body)};
    return {boost::asio::const_buffer(), boost::asio::buffer(body) + (sent - head.size())};
}

}  // namespace credctl::server
