// DaemonClient: credctl's side of the daemon API (docs/api.md), HTTP/1.1 over
// the Unix socket.
//
// The socket is chosen by locate_daemon() (daemon_locator.hpp). Every
// connection is checked with check_daemon_peer() right after connect(),
// before a byte is sent or an answer believed: a socket served by any uid but
// root, the caller or credd's user is refused. When no daemon answers the
// error says how to start one.
//
// A daemon that refuses a connection (over its per-uid limit) writes its
// problem document and closes, maybe before credctl finished writing: a
// write that fails with EPIPE or ECONNRESET is followed by a read, so the
// caller sees the daemon's answer (too_many_requests), not an unreachable
// daemon.
// Request and answer bytes, which may carry tokens, are zeroed as they are
// freed (common/secret).
// Thread-safety: one object per thread.
#pragma once

#include "common/error/error.hpp"
#include "common/secret/secret_string.hpp"

#include <memory>
#include <string>
#include <string_view>

namespace credctl::cli {

struct DaemonReply {
    int status = 0;
    SecretString body;  // may hold a token
};

// One checked connection that carries several requests (keep-alive), so that
// what was asked and what is sent go to the same daemon. Move-only.
class DaemonConnection {
public:
    DaemonConnection(DaemonConnection&&) noexcept;
    DaemonConnection& operator=(DaemonConnection&&) noexcept;
    ~DaemonConnection();

    // As DaemonClient::request(); `last` asks the daemon to close after it.
    [[nodiscard]] Result<DaemonReply> request(const std::string& method, const std::string& target,
                                              std::string_view body = {}, bool last = false);
    // request() that turns a non-2xx answer into the daemon's Error.
    [[nodiscard]] Result<DaemonReply> call(const std::string& method, const std::string& target,
                                           std::string_view body = {}, bool last = false);

private:
    friend class DaemonClient;
    struct Impl;
    explicit DaemonConnection(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
};

class DaemonClient {
public:
    explicit DaemonClient(std::string socket_path) : socket_(std::move(socket_path)) {}

    // Connects and checks the daemon's uid. Errors: daemon_unreachable (with
    // the command to start credd, or naming the untrusted uid serving it).
    [[nodiscard]] Result<DaemonConnection> connect() const;

    // One request on a connection of its own. Any HTTP status comes back as
    // a reply; 4xx/5xx are not errors here. Errors: as connect(), and
    // daemon_unreachable when the daemon closes without an answer.
    [[nodiscard]] Result<DaemonReply> request(const std::string& method, const std::string& target,
                                              std::string_view body = {}) const;

    // request() that turns a non-2xx answer into the daemon's Error.
    [[nodiscard]] Result<DaemonReply> call(const std::string& method, const std::string& target,
                                           std::string_view body = {}) const;

    [[nodiscard]] const std::string& socket_path() const { return socket_; }

private:
    std::string socket_;
};

}  // namespace credctl::cli
