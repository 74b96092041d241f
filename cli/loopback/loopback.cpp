#include "cli/loopback/loopback.hpp"

#include "cli/loopback/tcp_owner.hpp"
#include "common/config/local_user.hpp"
#include "common/crypto/crypto.hpp"
#include "common/secret/secret_http.hpp"

#include <sodium.h>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/streambuf.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/url/decode_view.hpp>
#include <boost/url/parse.hpp>

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <optional>

namespace credctl::cli {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;
using tcp = asio::ip::tcp;
constexpr auto k_tuple = asio::as_tuple(asio::use_awaitable);
// A browser's callback request is small; anything bigger is not one.
constexpr std::uint32_t k_max_head_bytes = 16 * 1024;
// A connection that says nothing (a speculative preconnect) is dropped.
constexpr std::chrono::seconds k_connection_timeout{30};
// Another user's browser sends its request at once; a foreign connection
// that keeps silent only holds one of our descriptors.
constexpr std::chrono::seconds k_foreign_timeout{2};
// Foreign connections read at once for their 403; any beyond these are
// closed unread, so that another user's flood of idle connections cannot
// use up our descriptors (RLIMIT_NOFILE) and keep our browser out.
constexpr std::size_t k_max_foreign_connections = 8;
// After a failed accept (EMFILE, ENFILE, ENOMEM) the connection stays
// queued and an accept at once would fail again.
constexpr std::chrono::milliseconds k_accept_pause{100};

std::string page(std::string_view title, std::string_view text) {
    return "<!doctype html><html><head><meta charset=\"utf-8\"><title>credctl: " + std::string(title) +
           "</title></head><body style=\"font-family:sans-serif;margin:3em\"><h1>" + std::string(title) + "</h1><p>" +
           std::string(text) + "</p></body></html>\n";
}

bool is_safe_text(std::string_view s) {
    for (char c : s) {
        if (c == '<' || c == '>' || c == '&' || c == '"') return false;
    }
    return true;
}

// A pasted line longer than this is not a redirect address.
constexpr std::size_t k_max_pasted_bytes = 16 * 1024;

}  // namespace

Result<Callback> parse_callback(std::string_view text, std::string_view expected_state) {
    while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' ')) text.remove_suffix(1);
    while (!text.empty() && text.front() == ' ') text.remove_prefix(1);
    auto url = text.starts_with("/") ? boost::urls::parse_origin_form(text) : boost::urls::parse_absolute_uri(text);
    if (!url || url->path() != "/callback") {
        return make_error(Errc::bad_request, "not a redirect to this login's /callback");
    }
    Callback cb;
    std::string state;
    for (auto p : url->encoded_params()) {
        const auto key = *p.key;  // percent-decoded as they are read
        const auto value = *p.value;
        if (key == "code") cb.code.assign(value.begin(), value.end());
        if (key == "state") state.assign(value.begin(), value.end());
        if (key == "iss") cb.iss.assign(value.begin(), value.end());
        if (key == "error") cb.error.assign(value.begin(), value.end());
        if (key == "error_description") cb.error_description.assign(value.begin(), value.end());
    }
    const bool state_ok = !state.empty() && state.size() == expected_state.size() &&
                          sodium_memcmp(state.data(), expected_state.data(), state.size()) == 0;
    if (!state_ok) {
        return make_error(Errc::bad_request, "this answer does not belong to the login in progress (state mismatch)");
    }
    if (cb.error.empty() && cb.code.empty())
        return make_error(Errc::bad_request, "the answer carries no authorization code");
    return cb;
}

struct LoopbackListener::Impl {
    asio::io_context io;
    tcp::acceptor acceptor{io};
    std::uint16_t port = 0;  // kept: the acceptor is closed after wait()
    std::optional<Callback> result;
    std::string launch_path;            // "/start/<random>", answered once
    std::string launch_target;          // the authorization URL it redirects to
    std::size_t foreign_open = 0;       // foreign connections being read for their 403
    std::uint64_t foreign_refused = 0;  // the first one named on stderr, the others counted

    http::response<http::string_body> answer(std::string_view target, const std::string& expected_state);
    void warn_refused(const std::string& who);
    asio::awaitable<void> handle(tcp::socket socket, std::string expected_state, bool foreign);
    asio::awaitable<void> accept_loop(std::string expected_state);
    asio::awaitable<void> read_pasted(std::string expected_state);
    asio::awaitable<void> spin();
};

namespace {

// Another local user may connect to 127.0.0.1 too: only a client socket
// owned by our uid may fetch the launch URL or deliver a callback.
std::optional<std::string> foreign_peer(const tcp::socket& socket) {
    boost::system::error_code ec;
    const auto peer = socket.remote_endpoint(ec);
    const auto self = ec ? tcp::endpoint() : socket.local_endpoint(ec);
    if (ec || !peer.address().is_v4() || !self.address().is_v4()) return "a connection that cannot be identified";
    in_addr peer_addr{};
    in_addr self_addr{};
    const auto p = peer.address().to_v4().to_bytes();
    const auto s = self.address().to_v4().to_bytes();
    std::memcpy(&peer_addr.s_addr, p.data(), 4);
    std::memcpy(&self_addr.s_addr, s.data(), 4);
    const auto uid = tcp_peer_owner(peer_addr, peer.port(), self_addr, self.port());
    if (!uid) return "a connection from port " + std::to_string(peer.port()) + " whose owner cannot be found";
    if (*uid == ::getuid()) return std::nullopt;
    return "a connection from uid " + std::to_string(*uid) + " (" + config::user_name(*uid).value_or("no name") + ")";
}

http::response<http::string_body> html(http::status status, std::string body) {
    http::response<http::string_body> res{status, 11};
    res.set(http::field::content_type, "text/html; charset=utf-8");
    res.body() = std::move(body);
    return res;
}

}  // namespace

http::response<http::string_body> LoopbackListener::Impl::answer(std::string_view target,
                                                                 const std::string& expected_state) {
    auto url = boost::urls::parse_origin_form(target);
    if (url && !launch_path.empty() && url->path() == launch_path) {
        launch_path.clear();  // one time only
        http::response<http::string_body> res{http::status::found, 11};
        res.set(http::field::location, launch_target);
        return res;
    }
    if (!url || url->path() != "/callback") {
        return html(http::status::not_found, page("Not found", "This is credctl's login listener."));
    }
    auto cb = parse_callback(target, expected_state);
    if (!cb) {
        return html(http::status::bad_request,
                    page("Login not accepted", "This answer was refused: " + cb.error().message + "."));
    }
    std::string body = page("Logged in", "credctl received the authorization. You can close this window.");
    if (!cb->error.empty()) {
        const std::string why = is_safe_text(cb->error) ? cb->error : "error";
        body = page("Login failed", "The provider answered: " + why + ". You can close this window.");
    }
    result = std::move(*cb);
    return html(http::status::ok, std::move(body));
}

// One warning line, however many connections another user opens: a flood
// is counted, and the count given when the wait ends.
void LoopbackListener::Impl::warn_refused(const std::string& who) {
    if (foreign_refused++ > 0) return;
    std::cerr << "\ncredctl: WARNING: refused " << who
              << " to the login listener: only your own browser may answer this login\n";
}

asio::awaitable<void> LoopbackListener::Impl::handle(tcp::socket socket, std::string expected_state, bool foreign) {
    beast::tcp_stream stream(std::move(socket));
    stream.expires_after(foreign ? k_foreign_timeout : k_connection_timeout);
    // Read even a foreign request (and ignore it): closing on unread bytes
    // would reset the connection instead of delivering the 403.
    // The request line carries the authorization code.
    SecretBuffer buffer;
    http::request_parser<http::empty_body, ZeroingAllocator<char>> parser;
    parser.header_limit(k_max_head_bytes);
    auto [ec, n] = co_await http::async_read(stream, buffer, parser, k_tuple);
    if (!ec) {
        auto res = foreign ? html(http::status::forbidden, page("Refused", "This login belongs to another user."))
                           : answer(parser.get().target(), expected_state);
        res.set(http::field::cache_control, "no-store");
        res.set("Referrer-Policy", "no-referrer");
        res.keep_alive(false);
        res.prepare_payload();
        co_await http::async_write(stream, res, k_tuple);
        boost::system::error_code ignored;
        stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
    }
    if (foreign) --foreign_open;
    if (result) io.stop();
}

// Paste-back: one pasted address per line until one is this login's answer.
asio::awaitable<void> LoopbackListener::Impl::read_pasted(std::string expected_state) {
    boost::system::error_code ec;
    asio::posix::stream_descriptor in(io);
    const int fd = ::dup(STDIN_FILENO);
    if (fd < 0) co_return;
    in.assign(fd, ec);
    if (ec) {
        ::close(fd);  // not a pipe or terminal (epoll refuses files): the listener alone then
        co_return;
    }
    asio::basic_streambuf<ZeroingAllocator<char>> buf(k_max_pasted_bytes);
    for (;;) {
        auto [rec, n] = co_await asio::async_read_until(in, buf, '\n', k_tuple);
        if (rec && n == 0) co_return;  // end of input or an over-long line
        const SecretString line(asio::buffers_begin(buf.data()),
                                asio::buffers_begin(buf.data()) + static_cast<std::ptrdiff_t>(n));
        buf.consume(n);
        auto cb = parse_callback(line, expected_state);
        if (cb) {
            result = std::move(*cb);
            io.stop();
            co_return;
        }
        std::cerr << "\ncredctl: " << cb.error().message << "; paste the address again:\n";
    }
}

// A spinner on stderr, so a user knows credctl is still waiting.
asio::awaitable<void> LoopbackListener::Impl::spin() {
    static constexpr std::string_view k_frames = "|/-\\";
    asio::steady_timer timer(io);
    for (std::size_t i = 0;; ++i) {
        std::cerr << '\r' << k_frames[i % k_frames.size()] << " waiting for the login to finish " << std::flush;
        timer.expires_after(std::chrono::milliseconds(150));
        auto [ec] = co_await timer.async_wait(k_tuple);
        if (ec) co_return;
    }
}

asio::awaitable<void> LoopbackListener::Impl::accept_loop(std::string expected_state) {
    for (;;) {
        auto [ec, socket] = co_await acceptor.async_accept(k_tuple);
        if (ec == asio::error::operation_aborted) co_return;
        if (ec) {
            // Ending here would leave our browser's request in the listen
            // queue until the login times out. Pause; connections end meanwhile.
            asio::steady_timer pause(io, k_accept_pause);
            co_await pause.async_wait(k_tuple);
            continue;
        }
        ::fcntl(socket.native_handle(), F_SETFD, FD_CLOEXEC);
        const auto foreign = foreign_peer(socket);
        if (foreign) {
            warn_refused(*foreign);
            if (foreign_open >= k_max_foreign_connections) continue;  // closed unread
            ++foreign_open;
        }
        asio::co_spawn(io, handle(std::move(socket), expected_state, foreign.has_value()), asio::detached);
    }
}

LoopbackListener::LoopbackListener(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
LoopbackListener::LoopbackListener(LoopbackListener&&) noexcept = default;
LoopbackListener& LoopbackListener::operator=(LoopbackListener&&) noexcept = default;
LoopbackListener::~LoopbackListener() = default;

Result<LoopbackListener> LoopbackListener::bind(std::uint16_t port) {
    auto impl = std::make_unique<Impl>();
    boost::system::error_code ec;
    const tcp::endpoint ep(asio::ip::address_v4::loopback(), port);
    impl->acceptor.open(ep.protocol(), ec);
    // Not inherited by the browser (or anything else credctl starts).
    if (!ec && ::fcntl(impl->acceptor.native_handle(), F_SETFD, FD_CLOEXEC) != 0) {
        ec.assign(errno, boost::system::system_category());
    }
    if (!ec) impl->acceptor.bind(ep, ec);
    if (!ec) impl->acceptor.listen(asio::socket_base::max_listen_connections, ec);
    if (ec) {
        return make_error(Errc::internal, "cannot listen on 127.0.0.1:" + std::to_string(port) + ": " + ec.message());
    }
    impl->port = impl->acceptor.local_endpoint().port();
    return LoopbackListener(std::move(impl));
}

std::uint16_t LoopbackListener::port() const {
    return impl_->port;
}

std::string LoopbackListener::launch(std::string authorization_url) {
    impl_->launch_path = "/start/" + crypto::random_token(24);
    impl_->launch_target = std::move(authorization_url);
    return "http://127.0.0.1:" + std::to_string(port()) + impl_->launch_path;
}

std::string LoopbackListener::redirect_uri() const {
    return "http://127.0.0.1:" + std::to_string(port()) + "/callback";
}

Result<Callback> LoopbackListener::wait(std::string_view expected_state, const WaitOptions& options) {
    const std::string state(expected_state);
    asio::co_spawn(impl_->io, impl_->accept_loop(state), asio::detached);
    if (options.read_stdin) asio::co_spawn(impl_->io, impl_->read_pasted(state), asio::detached);
    if (options.indicator) asio::co_spawn(impl_->io, impl_->spin(), asio::detached);
    const auto timeout = options.timeout;
    impl_->io.run_for(timeout);
    if (options.indicator) std::cerr << "\r\033[K" << std::flush;
    boost::system::error_code ec;
    impl_->acceptor.close(ec);
    if (impl_->foreign_refused > 1) {
        std::cerr << "credctl: WARNING: refused " << impl_->foreign_refused - 1
                  << " more connections to the login listener that were not yours\n";
    }
    if (!impl_->result) {
        return make_error(Errc::login_required,
                          "no answer from the browser within " + std::to_string(timeout.count()) + " seconds");
    }
    return std::move(*impl_->result);
}

}  // namespace credctl::cli
