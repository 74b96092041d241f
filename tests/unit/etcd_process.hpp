// A real single-member etcd for the tests of the etcd client and store: the
// `etcd` binary (Debian's etcd-server, scripts/install-deps.sh) on free
// loopback ports with its data in a temporary directory, killed on scope
// exit. Its data directory is DATA_DIR.N (N: the start that worked).
// ready() is false when it did not answer within 15 seconds.
#pragma once

#include "daemon/etcd/etcd_client.hpp"

#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fcntl.h>

#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

namespace credctl::test {

// A port the kernel just handed out and released: free unless raced.
inline int free_loopback_port() {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
    ::close(fd);
    return ntohs(a.sin_port);
}

class EtcdProcess {
public:
    // A port handed out free may be taken by another process before etcd
    // binds it (tests run in parallel): etcd then exits at once, and it is
    // started again on other ports, in a fresh data directory.
    explicit EtcdProcess(const std::string& data_dir) {
        for (int attempt = 0; attempt < 3 && !ready_; ++attempt) start(data_dir + "." + std::to_string(attempt));
    }
    ~EtcdProcess() {
        if (pid_ > 0) {
            ::kill(pid_, SIGKILL);
            ::waitpid(pid_, nullptr, 0);
        }
    }
    EtcdProcess(const EtcdProcess&) = delete;
    EtcdProcess& operator=(const EtcdProcess&) = delete;

    [[nodiscard]] bool ready() const { return ready_; }
    [[nodiscard]] const std::string& url() const { return url_; }
    // A client of this member (or of `endpoints` when given), 3 s per call.
    [[nodiscard]] std::unique_ptr<etcd::EtcdClient> client(std::vector<std::string> endpoints = {}) const {
        etcd::ClientOptions o;
        o.endpoints = endpoints.empty() ? std::vector<std::string>{url_} : std::move(endpoints);
        o.request_timeout = std::chrono::milliseconds(3000);
        auto c = etcd::EtcdClient::create(std::move(o));
        return c ? std::move(*c) : nullptr;
    }

private:
    void start(const std::string& data_dir) {
        const std::string client = "http://127.0.0.1:" + std::to_string(free_loopback_port());
        const std::string peer = "http://127.0.0.1:" + std::to_string(free_loopback_port());
        url_ = client;
        pid_ = ::fork();
        if (pid_ == 0) {
            const int null = ::open("/dev/null", O_WRONLY);
            ::dup2(null, 1);
            ::dup2(null, 2);
            const std::string cluster = "unit=" + peer;
            ::execlp("etcd", "etcd", "--name", "unit", "--data-dir", data_dir.c_str(), "--listen-client-urls",
                     client.c_str(), "--advertise-client-urls", client.c_str(), "--listen-peer-urls", peer.c_str(),
                     "--initial-advertise-peer-urls", peer.c_str(), "--initial-cluster", cluster.c_str(),
                     static_cast<char*>(nullptr));
            ::_exit(127);
        }
        etcd::ClientOptions options;
        options.endpoints = {url_};
        options.request_timeout = std::chrono::milliseconds(1000);
        auto c = etcd::EtcdClient::create(options);
        for (int i = 0; i < 150 && !ready_; ++i) {
            ready_ = c && (*c)->get("probe").has_value();
            if (ready_) break;
            if (::waitpid(pid_, nullptr, WNOHANG) == pid_) {  // etcd exited: its ports were taken
                pid_ = -1;
                return;
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(100));
        }
        if (!ready_ && pid_ > 0) {
            ::kill(pid_, SIGKILL);
            ::waitpid(pid_, nullptr, 0);
            pid_ = -1;
        }
    }

    pid_t pid_ = -1;
    std::string url_;
    bool ready_ = false;
};

}  // namespace credctl::test
