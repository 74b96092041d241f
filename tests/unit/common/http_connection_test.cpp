// http::Connection: a connection opened ahead of its one request carries
// nothing until the exchange, then carries the request; one opened for
// another origin is not used. Real loopback sockets; the peer is served by
// hand so that what reached it, and when, is seen.
#include "common/oauth/http_client.hpp"
#include "common/oauth/name_lookup.hpp"

#include "common/oauth/run_blocking.hpp"
#include "support/loopback_listen.hpp"

#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <boost/asio/awaitable.hpp>

#include <cerrno>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <string_view>
#include <thread>

namespace credctl::http {
namespace {

namespace asio = boost::asio;
using oauth::run_blocking;

// A listening socket on 127.0.0.1, port chosen by the kernel.
class Listener {
public:
    Listener() {
        fd_ = credctl::test::listen_loopback(&port_);
        if (fd_ < 0) ADD_FAILURE() << "cannot listen on 127.0.0.1";
    }
    ~Listener() { ::close(fd_); }
    Listener(const Listener&) = delete;
    Listener& operator=(const Listener&) = delete;

    [[nodiscard]] std::string url(const std::string& host = "127.0.0.1") const {
        return "http://" + host + ":" + std::to_string(port_) + "/token";
    }
    // Whether a connection waits in the queue, unaccepted.
    [[nodiscard]] bool has_waiting() const {
        pollfd p{fd_, POLLIN, 0};
        return ::poll(&p, 1, 0) > 0;
    }
    [[nodiscard]] int accept_blocking() const { return ::accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC); }

private:
    int fd_ = -1;
    std::uint16_t port_ = 0;
};

// Reads a request head and its body of `body_bytes` on `fd`, answers
// 200 "ok", closes. Returns what was read.
std::string serve_one(int fd, std::size_t body_bytes) {
    std::string in;
    char buf[4096];
    for (;;) {
        const auto head_end = in.find("\r\n\r\n");
        if (head_end != std::string::npos && in.size() >= head_end + 4 + body_bytes) break;
        const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
        if (n <= 0) break;
        in.append(buf, static_cast<std::size_t>(n));
    }
    const std::string answer = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\nok";
    [[maybe_unused]] const ssize_t w = ::send(fd, answer.data(), answer.size(), MSG_NOSIGNAL);
    ::close(fd);
    return in;
}

// Opens a connection to `connect_url`, runs `between`, then sends
// `request` over it.
asio::awaitable<Attempt<Response>> connect_then_exchange(const std::string& connect_url, const Request& request,
                                                         const Options& options, const std::function<void()>& between) {
    Attempt<Connection> opened = co_await async_connect(connect_url, options);
    if (!opened.result) co_return Attempt<Response>{opened.result.error(), opened.retryable};
    between();
    co_return co_await async_exchange(request, options, &*opened.result);
}

Request post(const std::string& url) {
    Request r;
    r.method = "POST";
    r.url = url;
    r.body = SecretString("grant_type=refresh_token");
    return r;
}

TEST(HttpConnection, OpenedAheadSendsNothingUntilItsExchangeThenCarriesIt) {
    Listener provider;
    const Request request = post(provider.url());
    const Options options;
    std::thread server;
    std::string received;
    ssize_t before = 0;
    int before_errno = 0;
    const auto out = run_blocking(connect_then_exchange(provider.url(), request, options, [&] {
        const int fd = provider.accept_blocking();
        ASSERT_GE(fd, 0);
        char c = 0;
        before = ::recv(fd, &c, 1, MSG_DONTWAIT | MSG_PEEK);
        before_errno = errno;
        server = std::thread([&received, fd] { received = serve_one(fd, 24); });
    }));
    if (server.joinable()) server.join();
    EXPECT_EQ(before, -1);
    EXPECT_EQ(before_errno, EAGAIN) << "bytes reached the provider before the exchange";
    ASSERT_TRUE(out.result.has_value()) << out.result.error().message;
    EXPECT_EQ(out.result->status, 200);
    EXPECT_EQ(std::string_view(out.result->body), "ok");
    EXPECT_EQ(received.rfind("POST /token HTTP/1.1\r\n", 0), 0U) << received;
    EXPECT_NE(received.find("\r\n\r\ngrant_type=refresh_token"), std::string::npos);
    EXPECT_FALSE(provider.has_waiting()) << "the exchange opened a second connection";
}

TEST(HttpConnection, OneOpenedForAnotherOriginIsClosedUnusedAndANewOneCarriesTheRequest) {
    Listener other;
    Listener provider;
    const Request request = post(provider.url());
    const Options options;
    std::thread server;
    std::string received;
    int unused = -1;
    const auto out = run_blocking(connect_then_exchange(other.url(), request, options, [&] {
        unused = other.accept_blocking();
        server = std::thread([&received, &provider] { received = serve_one(provider.accept_blocking(), 24); });
    }));
    if (server.joinable()) server.join();
    ASSERT_TRUE(out.result.has_value()) << out.result.error().message;
    EXPECT_EQ(std::string_view(out.result->body), "ok");
    EXPECT_EQ(received.rfind("POST /token HTTP/1.1\r\n", 0), 0U) << received;
    ASSERT_GE(unused, 0);
    const timeval bound{5, 0};  // a connection left open fails the test instead of hanging it
    ::setsockopt(unused, SOL_SOCKET, SO_RCVTIMEO, &bound, sizeof bound);
    char c = 0;
    EXPECT_EQ(::recv(unused, &c, 1, 0), 0) << "the connection to the other origin carried bytes or stayed open";
    ::close(unused);
}

// The threads of this process now.
std::size_t threads() {
    std::size_t n = 0;
    for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator("/proc/self/task")) ++n;
    return n;
}

// Exchanges with `host`, the provider served on a thread of the test's:
// the name lookups made, and the process's threads after the exchange,
// minus those before (name_lookup.hpp: a lookup's thread ends with it).
struct ExchangeCost {
    std::uint64_t lookups = 0;
    std::size_t threads_left = 0;
};
ExchangeCost cost_of_exchange(const std::string& host) {
    Listener provider;
    const Request request = post(provider.url(host));
    const Options options;
    const std::size_t before = threads();
    const std::uint64_t lookups = lookups_started();
    std::thread server;
    std::string received;
    const auto out = run_blocking(connect_then_exchange(request.url, request, options, [&] {
        server = std::thread([&received, &provider] { received = serve_one(provider.accept_blocking(), 24); });
    }));
    if (server.joinable()) server.join();
    EXPECT_TRUE(out.result.has_value()) << out.result.error().message;
    if (out.result) {
        EXPECT_EQ(std::string_view(out.result->body), "ok");
    }
    EXPECT_NE(received.find("\r\nHost: " + host + ":"), std::string::npos) << received;
    // A lookup's thread ends just after it answers.
    for (int i = 0; i < 200 && threads() > before; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
    return {lookups_started() - lookups, threads() - before};
}

// A provider's host given as an address needs no lookup; one given by name
// is looked up on a thread that ends with the lookup.
TEST(HttpConnection, AnAddressIsConnectedWithoutALookupANameWithOne) {
    const auto address = cost_of_exchange("127.0.0.1");
    EXPECT_EQ(address.lookups, 0U);
    EXPECT_EQ(address.threads_left, 0U);
    const auto name = cost_of_exchange("localhost");
    EXPECT_EQ(name.lookups, 1U) << "the lookup is not seen: the first check proves nothing";
    EXPECT_EQ(name.threads_left, 0U);
}

TEST(HttpConnection, RefusedConnectIsRetryableAndNamesTheUrl) {
    const Options options;
    const auto out = run_blocking(async_connect("http://127.0.0.1:1/token", options));  // nothing on port 1
    ASSERT_FALSE(out.result.has_value());
    EXPECT_TRUE(out.retryable);
    EXPECT_EQ(out.result.error().code, Errc::provider_unavailable);
    EXPECT_NE(out.result.error().message.find("http://127.0.0.1:1/token"), std::string::npos);
    const auto remote = run_blocking(async_connect("http://login.example.com/token", options));
    ASSERT_FALSE(remote.result.has_value());
    EXPECT_EQ(remote.result.error().code, Errc::bad_request);
}

}  // namespace
}  // namespace credctl::http
