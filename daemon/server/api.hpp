// The daemon API (docs/api.md): start() finds the request's route in the
// table of routes.hpp, checks the permission the table names, once, before
// any handler runs, records the decision in the audit log when the table
// says so (audit/recorder.hpp), and answers only once that line is written.
//
// Used by the server's sessions. Thread-safety: I/O thread only.
#pragma once

#include "common/secret/secret_string.hpp"
#include "daemon/audit/audit.hpp"
#include "daemon/metrics/daemon_metrics.hpp"
#include "daemon/peer/exe_hasher.hpp"
#include "daemon/peer/peer.hpp"
#include "daemon/policy/policy.hpp"
#include "daemon/server/admin_api.hpp"
#include "daemon/server/admission.hpp"
#include "daemon/server/store_health.hpp"
#include "daemon/tokens/token_service.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace credctl::server {

struct ApiContext {
    tokens::TokenService& tokens;
    // The current policy and audit log, replaced whole on reload; a request
    // keeps the pair it started with until it ends.
    std::shared_ptr<const policy::Policy> policy;
    std::shared_ptr<audit::AuditLog> audit;
    peer::ExeHashCache& hashes;
    std::chrono::steady_clock::time_point started;
    const std::size_t& connections;
    AdminState& admin;
    // Hashes executables off the I/O thread, when a hash could decide.
    peer::ExeHasher& hasher;
    metrics::DaemonMetrics& metrics;
    const Admission& admission;  // connections served and waiting, for metrics
    StoreHealth& store_health;   // the store's part of GET /v1/status
};

struct ApiRequest {
    std::string method;
    std::string target;  // path and query, still percent-encoded
    SecretString body;   // may hold a refresh token
};

struct ApiReply {
    int status = 200;
    SecretString body;                                   // JSON; may hold an access token
    std::string_view content_type = "application/json";  // a string literal
    // Close the connection after this answer: its uid keeps being denied
    // (a denial over the audit log's rate limit).
    bool close = false;
};

// A request's reply as handle() makes it, begun: either `ready` at once (a
// request refused, a token from the cache), to be sent once line
// `audit_line` of `audit` is written (audit::written(); no log: no line),
// or to be made by `later`, which waits for its line itself.
struct Handling {
    std::optional<ApiReply> ready;
    std::shared_ptr<audit::AuditLog> audit;
    std::uint64_t audit_line = 0;
    boost::asio::awaitable<ApiReply> later;
};

// The route, the decision and its audit line, and the handler's answer when
// it needs no wait (routes.hpp, Begin). `ex` runs the audit log's flushes.
[[nodiscard]] Handling start(ApiContext& context, const peer::PeerIdentity& caller, const ApiRequest& request,
                             const boost::asio::any_io_executor& ex);

// start(), and the reply once it is ready and its audit line written.
[[nodiscard]] boost::asio::awaitable<ApiReply> handle(ApiContext& context, const peer::PeerIdentity& caller,
                                                      const ApiRequest& request);

// An RFC 9457 problem reply for `error`.
[[nodiscard]] ApiReply problem(const Error& error);

}  // namespace credctl::server
