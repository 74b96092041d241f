// DaemonClient: credctl's side of the daemon API (docs/api.md), HTTP/1.1 over
// the Unix socket, one connection per request.
//
// The socket is chosen by locate_daemon() (daemon_locator.hpp). A request
// with a body is sent only to a daemon whose peer uid check_daemon_peer()
// accepts. When no daemon answers the error says how to start one.
// Thread-safety: one object per thread.
#pragma once

#include "common/error/error.hpp"

#include <chrono>
#include <string>

namespace credctl::cli {

struct DaemonReply {
    int status = 0;
    std::string body;  // may hold a token: the caller zeroes it after use
};

class DaemonClient {
public:
    explicit DaemonClient(std::string socket_path) : socket_(std::move(socket_path)) {}

    // Any HTTP status comes back as a reply; 4xx/5xx are not errors here.
    // Errors: daemon_unreachable (with the command to start credd, or naming
    // the untrusted uid serving the socket when a body was to be sent).
    [[nodiscard]] Result<DaemonReply> request(const std::string& method, const std::string& target,
                                              const std::string& body = {}) const;

    // request() that turns a non-2xx answer into the daemon's Error.
    [[nodiscard]] Result<DaemonReply> call(const std::string& method, const std::string& target,
                                           const std::string& body = {}) const;

    // Connects and checks that the daemon's uid may receive a secret, so
    // that a login towards a squatted socket stops before the browser opens.
    // Errors: daemon_unreachable, as request().
    [[nodiscard]] Result<void> verify_peer() const;

    [[nodiscard]] const std::string& socket_path() const { return socket_; }

private:
    std::string socket_;
    std::chrono::seconds timeout_{120};  // a refresh may wait on a slow provider
};

}  // namespace credctl::cli
