#include "bench/answer_server.hpp"

#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

namespace bench {
namespace {

[[noreturn]] void fail(const char* what) {
    std::fprintf(stderr, "answer server: %s: %s\n", what, std::strerror(errno));
    std::_Exit(1);
}

void send_all(int fd, const std::string& s) {
    std::size_t off = 0;
    while (off < s.size()) {
        const ssize_t n = ::write(fd, s.data() + off, s.size() - off);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return;  // the client went away
        off += static_cast<std::size_t>(n);
    }
}

class Copying : public Responder {
public:
    explicit Copying(std::string answer) : answer_(std::move(answer)) {}
    void answer(int, std::string_view, std::string& out) override { out = answer_; }

private:
    std::string answer_;
};

}  // namespace

std::unique_ptr<Responder> copying_responder(std::string answer) {
    return std::make_unique<Copying>(std::move(answer));
}

AnswerServer::AnswerServer(std::string path, std::unique_ptr<Responder> responder)
    : path_(std::move(path)), responder_(std::move(responder)) {
    listen_fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    if (path_.size() >= sizeof(addr.sun_path)) fail("socket path too long");
    std::memcpy(addr.sun_path, path_.c_str(), path_.size() + 1);
    ::unlink(path_.c_str());
    if (listen_fd_ < 0 || ::bind(listen_fd_, reinterpret_cast<const sockaddr*>(&addr), sizeof(addr)) != 0 ||
        ::listen(listen_fd_, 4096) != 0) {
        fail("listen");
    }
    pid_ = ::fork();
    if (pid_ < 0) fail("fork");
    if (pid_ == 0) {
        ::prctl(PR_SET_PDEATHSIG, SIGKILL);
        loop();
    }
}

AnswerServer::~AnswerServer() {
    ::kill(pid_, SIGTERM);
    ::waitpid(pid_, nullptr, 0);
    ::close(listen_fd_);
    ::unlink(path_.c_str());
}

void AnswerServer::loop() {
    const int ep = ::epoll_create1(EPOLL_CLOEXEC);
    epoll_event lev{};
    lev.events = EPOLLIN;
    lev.data.fd = listen_fd_;
    ::epoll_ctl(ep, EPOLL_CTL_ADD, listen_fd_, &lev);
    std::vector<std::string> pending(65536);
    epoll_event events[256];
    char chunk[16384];
    std::string out;
    for (;;) {
        const int n = ::epoll_wait(ep, events, 256, -1);
        for (int e = 0; e < n; ++e) {
            const int fd = events[e].data.fd;
            if (fd == listen_fd_) {
                const int c = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
                if (c < 0 || static_cast<std::size_t>(c) >= pending.size()) continue;
                responder_->accepted(c);
                epoll_event ev{};
                ev.events = EPOLLIN;
                ev.data.fd = c;
                ::epoll_ctl(ep, EPOLL_CTL_ADD, c, &ev);
                continue;
            }
            const ssize_t got = ::read(fd, chunk, sizeof chunk);
            auto& buf = pending[static_cast<std::size_t>(fd)];
            if (got <= 0) {
                ::close(fd);
                buf.clear();
                continue;
            }
            buf.append(chunk, static_cast<std::size_t>(got));
            for (auto at = buf.find("\r\n\r\n"); at != std::string::npos; at = buf.find("\r\n\r\n")) {
                responder_->answer(fd, std::string_view(buf).substr(0, at + 2), out);
                buf.erase(0, at + 4);
                send_all(fd, out);
            }
        }
        responder_->batch_done();
    }
}

}  // namespace bench
