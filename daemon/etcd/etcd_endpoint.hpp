// The members of an etcd cluster as EtcdClient and EtcdWatch reach them
// (docs/fleet.md "Talking to etcd"): each endpoint URL checked and split, and
// the TLS client context that verifies the members and presents credd's
// client certificate (mTLS).
//
// Internal to daemon/etcd. Thread-safety: pure functions; a TLS context is
// read-only once made, and may serve streams on several threads.
#pragma once

#include "common/error/error.hpp"
#include "daemon/etcd/etcd_client.hpp"

#include <memory>
#include <string>
#include <vector>

namespace boost::asio::ssl {
class context;
}

namespace credctl::etcd {

struct Endpoint {
    std::string url;
    bool tls = false;
    std::string host;  // without IPv6 brackets
    std::string port;  // "2379" when the URL has none
};

// An absolute http(s) URL with a host; plain http only on loopback, as for
// providers. Errors: bad_request naming the URL.
[[nodiscard]] Result<Endpoint> parse_endpoint(const std::string& url);

// A TLS 1.2+ client context verifying against `ca_file` (the system store
// when empty), presenting `cert_file`/`key_file` when given. Errors:
// bad_request naming the file.
[[nodiscard]] Result<std::unique_ptr<boost::asio::ssl::context>> make_tls(const ClientOptions& o);

// Every endpoint of `options` checked, and the TLS context when any is
// https. Errors: as above, and bad_request when there is no endpoint.
struct Members {
    std::vector<Endpoint> endpoints;
    std::unique_ptr<boost::asio::ssl::context> tls;  // null when every endpoint is plain http
    Members();
    Members(Members&&) noexcept;
    Members& operator=(Members&&) noexcept;
    ~Members();
};
[[nodiscard]] Result<Members> members_of(const ClientOptions& options);

}  // namespace credctl::etcd
