// A TCP proxy in front of one etcd member, for the tests of a request whose
// answer is lost: while hold() is on, every transaction (POST /v3/kv/txn)
// that passes is kept instead of forwarded, and nothing is answered, so the
// client's call times out not knowing whether it was applied. held() gives
// the kept request bodies: sending one to etcd later (EtcdClient::txn())
// plays a proposal that a member without quorum accepted, then committed
// once quorum returned. Every other request and every answer passes as is;
// answered_bytes() counts the answers' bytes (what a call costs on the wire).
//
// One thread per direction of each connection; the destructor shuts every
// socket down and joins them.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cctype>
#include <cstdint>
#include <cstdlib>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace credctl::test {

class HoldingProxy {
public:
    // In front of the member listening on 127.0.0.1:`port`.
    explicit HoldingProxy(int port) : upstream_port_(port) {
        listener_ = ::socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        socklen_t len = sizeof a;
        if (::bind(listener_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || ::listen(listener_, 16) != 0) return;
        ::getsockname(listener_, reinterpret_cast<sockaddr*>(&a), &len);
        url_ = "http://127.0.0.1:" + std::to_string(ntohs(a.sin_port));
        accepter_ = std::thread([this] { accept_loop(); });
    }
    ~HoldingProxy() {
        stopping_ = true;
        ::shutdown(listener_, SHUT_RDWR);
        ::close(listener_);
        if (accepter_.joinable()) accepter_.join();
        {
            std::lock_guard lock(mutex_);
            for (int fd : fds_) ::shutdown(fd, SHUT_RDWR);
        }
        for (auto& t : pumps_) t.join();
        for (int fd : fds_) ::close(fd);
    }
    HoldingProxy(const HoldingProxy&) = delete;
    HoldingProxy& operator=(const HoldingProxy&) = delete;

    [[nodiscard]] const std::string& url() const { return url_; }
    void hold(bool on) { holding_ = on; }
    [[nodiscard]] std::vector<std::string> held() {
        std::lock_guard lock(mutex_);
        return held_;
    }
    // Every byte the member sent back so far, heads included.
    [[nodiscard]] std::uint64_t answered_bytes() const { return answered_bytes_; }

private:
    void accept_loop() {
        for (;;) {
            const int client = ::accept(listener_, nullptr, nullptr);
            if (client < 0 || stopping_) {
                if (client >= 0) ::close(client);
                return;
            }
            const int upstream = ::socket(AF_INET, SOCK_STREAM, 0);
            sockaddr_in a{};
            a.sin_family = AF_INET;
            a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
            a.sin_port = htons(static_cast<std::uint16_t>(upstream_port_));
            if (::connect(upstream, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
                ::close(upstream);
                ::close(client);
                continue;
            }
            std::lock_guard lock(mutex_);
            fds_.push_back(client);
            fds_.push_back(upstream);
            pumps_.emplace_back([this, client, upstream] { requests(client, upstream); });
            pumps_.emplace_back([this, client, upstream] { answers(upstream, client); });
        }
    }
    // Client to member, one whole request at a time (head, then a body of
    // Content-Length bytes), so that a transaction can be kept back.
    void requests(int from, int to) {
        std::string buf;
        char chunk[16384];
        for (;;) {
            const auto head_end = buf.find("\r\n\r\n");
            if (head_end != std::string::npos) {
                const std::size_t length = content_length(buf.substr(0, head_end));
                const std::size_t total = head_end + 4 + length;
                if (buf.size() >= total) {
                    const std::string request = buf.substr(0, total);
                    buf.erase(0, total);
                    if (holding_ && request.starts_with("POST /v3/kv/txn ")) {
                        std::lock_guard lock(mutex_);
                        held_.push_back(request.substr(head_end + 4));
                        continue;
                    }
                    if (!send_all(to, request)) break;
                    continue;
                }
            }
            const ssize_t n = ::read(from, chunk, sizeof chunk);
            if (n <= 0) break;
            buf.append(chunk, static_cast<std::size_t>(n));
        }
        ::shutdown(to, SHUT_RDWR);
    }
    void answers(int from, int to) {
        char chunk[16384];
        for (;;) {
            const ssize_t n = ::read(from, chunk, sizeof chunk);
            if (n <= 0) break;
            answered_bytes_ += static_cast<std::uint64_t>(n);  // before the client can see them
            if (!send_all(to, std::string(chunk, static_cast<std::size_t>(n)))) break;
        }
        ::shutdown(to, SHUT_RDWR);
    }
    static std::size_t content_length(const std::string& head) {
        std::string lower;
        for (char c : head) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        const auto at = lower.find("\r\ncontent-length:");
        if (at == std::string::npos) return 0;
        return std::strtoul(head.c_str() + at + 17, nullptr, 10);
    }
    static bool send_all(int fd, const std::string& bytes) {
        std::size_t sent = 0;
        while (sent < bytes.size()) {
            const ssize_t n = ::send(fd, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
            if (n <= 0) return false;
            sent += static_cast<std::size_t>(n);
        }
        return true;
    }

    int upstream_port_;
    int listener_ = -1;
    std::string url_;
    std::atomic<bool> stopping_{false};
    std::atomic<bool> holding_{false};
    std::atomic<std::uint64_t> answered_bytes_{0};
    std::mutex mutex_;
    std::vector<int> fds_;
    std::vector<std::thread> pumps_;
    std::vector<std::string> held_;
    std::thread accepter_;
};

}  // namespace credctl::test
