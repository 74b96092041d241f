#include "cli/client/daemon_client.hpp"

#include "temp_dir.hpp"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <cstring>
#include <functional>
#include <string>
#include <thread>

namespace credctl::cli {
namespace {

// credd's answer to a connection over its per-uid limit (docs/api.md).
constexpr std::string_view k_refusal =
    "HTTP/1.1 429 Too Many Requests\r\nContent-Type: application/problem+json\r\nContent-Length: 88\r\n"
    "Connection: close\r\n\r\n"
    R"({"type":"about:blank","status":429,"code":"too_many_requests","detail":"over 1 per uid"})";

// A daemon stand-in on a real Unix socket: each accepted connection is given
// to `serve`, one after another, on a thread of its own.
class FakeDaemon {
public:
    explicit FakeDaemon(std::function<void(int)> serve) : serve_(std::move(serve)) {
        fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        sockaddr_un addr{};
        addr.sun_family = AF_UNIX;
        std::memcpy(addr.sun_path, path_.c_str(), path_.size() + 1);
        if (::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || ::listen(fd_, 8) != 0) {
            throw std::runtime_error("cannot listen on " + path_);
        }
        thread_ = std::thread([this] {
            for (;;) {
                const int conn = ::accept(fd_, nullptr, nullptr);
                if (conn < 0 || stop_) {
                    if (conn >= 0) ::close(conn);
                    return;
                }
                ++accepted_;
                serve_(conn);
                ::close(conn);
            }
        });
    }
    ~FakeDaemon() {
        stop_ = true;
        const int wake = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);  // unblocks accept()
        sockaddr_un addr{};
        addr.sun_family = AF_UNIX;
        std::memcpy(addr.sun_path, path_.c_str(), path_.size() + 1);
        (void)::connect(wake, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
        thread_.join();
        ::close(wake);
        ::close(fd_);
    }
    [[nodiscard]] const std::string& path() const { return path_; }
    [[nodiscard]] int accepted() const { return accepted_; }

private:
    test::TempDir dir_;
    std::string path_ = dir_.file("credd.sock");
    std::function<void(int)> serve_;
    int fd_ = -1;
    std::atomic<bool> stop_{false};
    std::atomic<int> accepted_{0};
    std::thread thread_;
};

void write_all(int fd, std::string_view s) {
    while (!s.empty()) {
        const ssize_t n = ::send(fd, s.data(), s.size(), MSG_NOSIGNAL);
        if (n <= 0) return;
        s.remove_prefix(static_cast<std::size_t>(n));
    }
}

// Reads one request head and its Content-Length body.
std::string read_request(int fd) {
    std::string data;
    char buf[4096];
    while (data.find("\r\n\r\n") == std::string::npos) {
        const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
        if (n <= 0) return data;
        data.append(buf, static_cast<std::size_t>(n));
    }
    return data;
}

TEST(DaemonClient, ReportsARefusalThatCameBeforeItsLargeRequestWasWritten) {
    // Answers and closes without reading: a body bigger than the socket
    // buffers cannot be written whole, the write fails with EPIPE/ECONNRESET.
    FakeDaemon daemon([](int fd) { write_all(fd, k_refusal); });
    const DaemonClient client(daemon.path());
    const std::string body = R"({"refresh_token":")" + std::string(512 * 1024, 'x') + R"("})";
    auto r = client.call("PUT", "/v1/users/alice/credentials/demo", body);
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error().code, Errc::too_many_requests) << r.error().message;
    EXPECT_EQ(r.error().message, "over 1 per uid");
    EXPECT_EQ(exit_code(r.error().code), 5);
}

TEST(DaemonClient, ReportsARefusalOfASmallRequest) {
    FakeDaemon daemon([](int fd) { write_all(fd, k_refusal); });
    const DaemonClient client(daemon.path());
    for (int i = 0; i < 20; ++i) {  // whichever of write and close comes first
        auto r = client.call("GET", "/v1/status");
        ASSERT_FALSE(r.has_value());
        EXPECT_EQ(r.error().code, Errc::too_many_requests) << r.error().message;
    }
}

TEST(DaemonClient, ADaemonThatClosesWithoutAnswerIsUnreachable) {
    FakeDaemon daemon([](int) {});
    auto r = DaemonClient(daemon.path()).call("GET", "/v1/status");
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error().code, Errc::daemon_unreachable);
    EXPECT_NE(r.error().message.find(daemon.path()), std::string::npos) << r.error().message;
}

TEST(DaemonClient, NothingListeningNamesTheSocketAndHowToStartCredd) {
    test::TempDir dir;
    auto r = DaemonClient(dir.file("none.sock")).call("GET", "/v1/status");
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error().code, Errc::daemon_unreachable);
    EXPECT_EQ(r.error().message.rfind("cannot reach credd at " + dir.file("none.sock") + ": ", 0), 0u);
    EXPECT_NE(r.error().message.find("credd --user"), std::string::npos);
}

TEST(DaemonClient, ASocketPathTooLongForSockaddrUnIsUnreachable) {
    const std::string path = "/tmp/" + std::string(120, 'x') + ".sock";
    auto r = DaemonClient(path).call("GET", "/v1/status");
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error().code, Errc::daemon_unreachable);
    EXPECT_EQ(r.error().message.rfind("cannot reach credd at " + path + ": File name too long\n", 0), 0u)
        << r.error().message;
}

TEST(DaemonClient, AConnectionCarriesSeveralRequests) {
    std::string seen;
    int accepted = 0;
    {
        FakeDaemon daemon([&seen](int fd) {
            for (int i = 0; i < 2; ++i) {
                seen += read_request(fd);
                write_all(fd, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
            }
        });
        auto conn = DaemonClient(daemon.path()).connect();
        ASSERT_TRUE(conn.has_value()) << conn.error().message;
        ASSERT_TRUE(conn->call("GET", "/v1/providers").has_value());
        auto second = conn->call("GET", "/v1/status", {}, true);
        ASSERT_TRUE(second.has_value());
        EXPECT_EQ(second->body, "ok");
        accepted = daemon.accepted();
    }
    EXPECT_EQ(accepted, 1);
    EXPECT_NE(seen.find("GET /v1/providers HTTP/1.1"), std::string::npos);
    EXPECT_NE(seen.find("GET /v1/status HTTP/1.1"), std::string::npos);
    EXPECT_NE(seen.find("Connection: close"), std::string::npos);
}

// The request line is written by hand: a target that would split it (a
// space) or add a header field (CR, LF) is refused before anything is sent.
TEST(DaemonClient, ATargetWithASpaceOrAControlCharacterIsNotSent) {
    std::string seen;
    {
        FakeDaemon daemon([&seen](int fd) {
            seen += read_request(fd);
            write_all(fd, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
        });
        for (const char* target : {"/v1/users/a b/credentials", "/v1/status\r\nX-Injected: 1", "/v1/\x7f"}) {
            auto r = DaemonClient(daemon.path()).call("GET", target);
            ASSERT_FALSE(r.has_value()) << target;
            EXPECT_EQ(r.error().code, Errc::usage) << r.error().message;
            EXPECT_EQ(r.error().message.find('\r'), std::string::npos) << r.error().message;
        }
        ASSERT_TRUE(DaemonClient(daemon.path()).call("GET", "/v1/status").has_value());
    }
    EXPECT_EQ(seen.find("X-Injected"), std::string::npos) << seen;
    EXPECT_NE(seen.find("GET /v1/status HTTP/1.1"), std::string::npos) << seen;
}

}  // namespace
}  // namespace credctl::cli
