#include "cli/client/daemon_client.hpp"

#include "cli/client/daemon_locator.hpp"
#include "cli/client/fd_stream.hpp"
#include "cli/client/reply_parse.hpp"
#include "common/secret/secret_http.hpp"
#include "common/wire/wire.hpp"

#include <sys/socket.h>
#include <sys/un.h>
#include <boost/asio/error.hpp>
#include <boost/asio/write.hpp>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>

namespace credctl::cli {
namespace {

namespace asio = boost::asio;

// What one read asks the socket for: a page. An answer is a few hundred
// bytes; a larger one takes more reads. The buffer is zeroed whole when
// freed, so a larger first read would touch pages nothing else needs: at
// 16 KiB that was 6-7 % of a `credctl token` (docs/benchmarks.md).
constexpr std::size_t k_read_bytes = 4 * 1024;

Error unreachable(const std::string& socket, const boost::system::error_code& ec) {
    return make_error(Errc::daemon_unreachable,
                      "cannot reach credd at " + socket + ": " + ec.message() + "\n" + how_to_start_credd());
}

// The daemon may have answered and closed before reading all we wrote (a
// connection over its limit): its answer is still in our receive queue.
bool peer_closed_early(const boost::system::error_code& ec) {
    return ec == asio::error::broken_pipe || ec == asio::error::connection_reset;
}

// A connected socket, not inherited by a browser or by the command of
// `credctl exec` (SOCK_CLOEXEC).
boost::system::error_code connect_unix(const std::string& path, FdStream& stream) {
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    if (path.size() >= sizeof addr.sun_path) return {ENAMETOOLONG, boost::system::system_category()};
    std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
    stream = FdStream(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (stream.native_handle() < 0 ||
        ::connect(stream.native_handle(), reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0)
        return {errno, boost::system::system_category()};
    return {};
}

}  // namespace

struct DaemonConnection::Impl {
    std::string socket_path;
    FdStream sock;
    SecretBuffer buffer;
};

DaemonConnection::DaemonConnection(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
DaemonConnection::DaemonConnection(DaemonConnection&&) noexcept = default;
DaemonConnection& DaemonConnection::operator=(DaemonConnection&&) noexcept = default;
DaemonConnection::~DaemonConnection() = default;

Result<DaemonReply> DaemonConnection::request(const std::string& method, const std::string& target,
                                              std::string_view body, bool last) {
    // The request's head, written by hand as credd's answers are; the body,
    // which may hold a refresh token, is sent from where it is.
    const auto splits_the_line = [](char c) { return static_cast<unsigned char>(c) <= ' ' || c == '\x7f'; };
    if (std::any_of(method.begin(), method.end(), splits_the_line) ||
        std::any_of(target.begin(), target.end(), splits_the_line)) {
        std::string shown = target;
        std::replace_if(
            shown.begin(), shown.end(), [&](char c) { return c != ' ' && splits_the_line(c); }, '?');
        return make_error(Errc::usage, "cannot ask credd for " + shown + ": it holds a space or a control character");
    }
    std::string head =
        method + " " + target + " HTTP/1.1\r\nHost: localhost\r\nUser-Agent: credctl/" CREDCTL_VERSION "\r\n";
    if (last) head += "Connection: close\r\n";
    if (!body.empty()) head += "Content-Type: application/json\r\n";
    if (!body.empty() || method != "GET") head += "Content-Length: " + std::to_string(body.size()) + "\r\n";
    head += "\r\n";
    boost::system::error_code write_ec;
    const std::array<asio::const_buffer, 2> request{asio::buffer(head), asio::buffer(body.data(), body.size())};
    asio::write(impl_->sock, request, write_ec);
    if (write_ec && !peer_closed_early(write_ec)) return unreachable(impl_->socket_path, write_ec);

    auto& buffer = impl_->buffer;
    bool closed = false;
    std::size_t needed = 0;  // the whole answer's bytes, once its head says
    for (;;) {
        if (closed || buffer.size() >= needed) {
            const auto data = buffer.cdata();
            auto read = read_reply({static_cast<const char*>(data.data()), data.size()}, closed, &needed);
            if (!read) return read.error();
            if (*read) {
                buffer.consume((*read)->consumed);
                return std::move((*read)->reply);
            }
            if (closed && write_ec) return unreachable(impl_->socket_path, write_ec);
            if (closed) {
                return make_error(Errc::daemon_unreachable,
                                  "credd at " + impl_->socket_path + " closed the connection before it answered");
            }
        }
        boost::system::error_code ec;
        buffer.commit(impl_->sock.read_some(buffer.prepare(k_read_bytes), ec));
        if (ec == asio::error::eof) {
            closed = true;
        } else if (ec) {
            if (write_ec) return unreachable(impl_->socket_path, write_ec);
            return make_error(Errc::daemon_unreachable,
                              "credd at " + impl_->socket_path + " closed the connection: " + ec.message());
        }
    }
}

Result<DaemonReply> DaemonConnection::call(const std::string& method, const std::string& target, std::string_view body,
                                           bool last) {
    auto r = request(method, target, body, last);
    if (!r) return r;
    if (r->status >= 200 && r->status < 300) return r;
    return wire::parse_problem(r->status, r->body);
}

Result<DaemonConnection> DaemonClient::connect() const {
    auto impl = std::make_unique<DaemonConnection::Impl>();
    impl->socket_path = socket_;
    if (const auto ec = connect_unix(socket_, impl->sock)) return unreachable(socket_, ec);
    // Before anything is sent or read: a squatter learns nothing and tells
    // us nothing (no token, no endpoints, no "revoked").
    if (auto r = check_daemon_peer(impl->sock.native_handle(), socket_); !r) return r.error();
    // No client-side timeout: credd bounds every wait itself (the idle
    // timeout, a provider's retry_deadline_seconds of up to an hour, a
    // caller's --timeout), and a shorter one here would cut a refresh that
    // is still allowed to run.
    return DaemonConnection(std::move(impl));
}

Result<DaemonReply> DaemonClient::request(const std::string& method, const std::string& target,
                                          std::string_view body) const {
    auto conn = connect();
    if (!conn) return conn.error();
    return conn->request(method, target, body, true);
}

Result<DaemonReply> DaemonClient::call(const std::string& method, const std::string& target,
                                       std::string_view body) const {
    auto conn = connect();
    if (!conn) return conn.error();
    return conn->call(method, target, body, true);
}

}  // namespace credctl::cli
