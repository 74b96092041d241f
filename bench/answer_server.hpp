// The servers bench/throughput.cpp measures credd against: a child process
// (credd is another process too: switching between threads of one process
// would be cheaper) with one epoll loop on a Unix socket of its own, which
// hands every complete request head to a Responder and writes what it
// returns. Level-triggered, one read(2) per readiness, one write(2) per
// answer; what the Responder adds is all that differs between two of them.
#pragma once

#include <memory>
#include <string>
#include <string_view>

namespace bench {

class Responder {
public:
    virtual ~Responder() = default;
    // A connection was accepted on `fd`.
    virtual void accepted(int fd) { (void)fd; }
    // The answer to the request head `head` (up to its blank line) on `fd`.
    virtual void answer(int fd, std::string_view head, std::string& out) = 0;
    // Every ready connection of one epoll_wait(2) was served.
    virtual void batch_done() {}
};

class AnswerServer {
public:
    AnswerServer(std::string path, std::unique_ptr<Responder> responder);
    AnswerServer(const AnswerServer&) = delete;
    AnswerServer& operator=(const AnswerServer&) = delete;
    ~AnswerServer();
    [[nodiscard]] int pid() const { return pid_; }
    [[nodiscard]] const std::string& path() const { return path_; }

private:
    [[noreturn]] void loop();

    std::string path_;
    std::unique_ptr<Responder> responder_;
    int listen_fd_ = -1;
    int pid_ = -1;
};

// The bare server: every request is answered with a copy of `answer`.
[[nodiscard]] std::unique_ptr<Responder> copying_responder(std::string answer);

}  // namespace bench
