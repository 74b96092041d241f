#include "daemon/etcd/etcd_endpoint.hpp"

#include "common/net/loopback.hpp"

#include <boost/asio/ssl.hpp>
#include <boost/url/parse.hpp>

namespace credctl::etcd {

namespace ssl = boost::asio::ssl;

Result<Endpoint> parse_endpoint(const std::string& url) {
    auto u = boost::urls::parse_absolute_uri(url);
    if (!u || u->host_address().empty() || (u->scheme() != "http" && u->scheme() != "https")) {
        return make_error(Errc::bad_request, "etcd endpoint is not an http(s) URL with a host: \"" + url + "\"");
    }
    Endpoint e{url, u->scheme() == "https", std::string(u->host_address()), std::string(u->port())};
    if (e.host.size() > 2 && e.host.front() == '[') e.host = e.host.substr(1, e.host.size() - 2);
    if (!e.tls && !net::is_loopback_host(e.host)) {
        return make_error(Errc::bad_request, "plain http is allowed only for loopback etcd endpoints: \"" + url + "\"");
    }
    if (e.port.empty()) e.port = "2379";
    return e;
}

Result<std::unique_ptr<ssl::context>> make_tls(const ClientOptions& o) {
    auto ctx = std::make_unique<ssl::context>(ssl::context::tls_client);
    SSL_CTX_set_min_proto_version(ctx->native_handle(), TLS1_2_VERSION);
    boost::system::error_code ec;
    o.ca_file.empty() ? ctx->set_default_verify_paths(ec) : ctx->load_verify_file(o.ca_file, ec);
    if (ec) return make_error(Errc::bad_request, "etcd ca_file " + o.ca_file + ": " + ec.message());
    if (o.cert_file.empty() != o.key_file.empty()) {
        return make_error(Errc::bad_request, "etcd cert_file and key_file go together; only one is set");
    }
    if (!o.cert_file.empty()) {
        ctx->use_certificate_chain_file(o.cert_file, ec);
        if (ec) return make_error(Errc::bad_request, "etcd cert_file " + o.cert_file + ": " + ec.message());
        ctx->use_private_key_file(o.key_file, ssl::context::pem, ec);
        if (ec) return make_error(Errc::bad_request, "etcd key_file " + o.key_file + ": " + ec.message());
    }
    ctx->set_verify_mode(ssl::verify_peer);
    return ctx;
}

Members::Members() = default;
Members::Members(Members&&) noexcept = default;
Members& Members::operator=(Members&&) noexcept = default;
Members::~Members() = default;

Result<Members> members_of(const ClientOptions& options) {
    if (options.endpoints.empty()) return make_error(Errc::bad_request, "etcd: no endpoints configured");
    Members out;
    bool any_tls = false;
    for (const auto& url : options.endpoints) {
        auto e = parse_endpoint(url);
        if (!e) return e.error();
        any_tls = any_tls || e->tls;
        out.endpoints.push_back(std::move(*e));
    }
    if (any_tls) {
        auto tls = make_tls(options);
        if (!tls) return tls.error();
        out.tls = std::move(*tls);
    }
    return out;
}

}  // namespace credctl::etcd
