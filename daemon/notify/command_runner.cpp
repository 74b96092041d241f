#include "daemon/notify/command_runner.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include <cstring>

namespace credctl::notify {

namespace asio = boost::asio;

class RunningCommand : public std::enable_shared_from_this<RunningCommand> {
public:
    RunningCommand(asio::io_context& io, pid_t pid, int pidfd, std::function<void(CommandOutcome)> done)
        : pid_(pid), pidfd_(io, pidfd), timer_(io), done_(std::move(done)) {}

    void watch(std::chrono::milliseconds timeout) {
        auto self = shared_from_this();
        timer_.expires_after(timeout);
        timer_.async_wait([self](const boost::system::error_code& ec) {
            if (ec) return;
            self->timed_out_ = true;
            self->kill_group();
        });
        pidfd_.async_wait(asio::posix::stream_descriptor::wait_read,
                          [self](const boost::system::error_code&) { self->reap(); });
    }

    // Before the child is reaped its pid, hence its group's id, cannot be
    // reused: signalling the group is safe until then, and never after.
    void kill_group() {
        if (!reaped_) ::kill(-pid_, SIGKILL);
    }

private:
    void reap() {
        int status = 0;
        pid_t r;
        do {
            r = ::waitpid(pid_, &status, 0);
        } while (r < 0 && errno == EINTR);
        reaped_ = true;
        timer_.cancel();
        boost::system::error_code ec;
        pidfd_.close(ec);
        CommandOutcome out;
        if (r < 0) {
            out.error = std::string("cannot reap it: ") + std::strerror(errno);
        } else if (timed_out_) {
            out.kind = CommandOutcome::Kind::timed_out;
        } else if (WIFEXITED(status)) {
            out.kind = CommandOutcome::Kind::exited;
            out.code = WEXITSTATUS(status);
        } else {
            out.kind = CommandOutcome::Kind::signaled;
            out.code = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
        }
        auto done = std::move(done_);
        if (done) done(std::move(out));
    }

    pid_t pid_;
    asio::posix::stream_descriptor pidfd_;
    asio::steady_timer timer_;
    std::function<void(CommandOutcome)> done_;
    bool timed_out_ = false;
    bool reaped_ = false;
};

namespace {

// posix_spawn's settings of the child (see the header for why each).
struct SpawnSetup {
    posix_spawn_file_actions_t actions{};
    posix_spawnattr_t attr{};
    SpawnSetup(int output_fd) {
        posix_spawn_file_actions_init(&actions);
        posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
        posix_spawn_file_actions_adddup2(&actions, output_fd, STDOUT_FILENO);
        posix_spawn_file_actions_adddup2(&actions, output_fd, STDERR_FILENO);
        posix_spawn_file_actions_addclosefrom_np(&actions, STDERR_FILENO + 1);
        posix_spawnattr_init(&attr);
        sigset_t none, all;
        sigemptyset(&none);
        sigfillset(&all);
        posix_spawnattr_setsigmask(&attr, &none);
        posix_spawnattr_setsigdefault(&attr, &all);
        posix_spawnattr_setpgroup(&attr, 0);
        posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETPGROUP);
    }
    ~SpawnSetup() {
        posix_spawn_file_actions_destroy(&actions);
        posix_spawnattr_destroy(&attr);
    }
    SpawnSetup(const SpawnSetup&) = delete;
    SpawnSetup& operator=(const SpawnSetup&) = delete;
};

void fail_later(asio::io_context& io, std::function<void(CommandOutcome)> done, std::string why) {
    CommandOutcome out;
    out.error = std::move(why);
    asio::post(io, [done = std::move(done), out = std::move(out)]() mutable {
        if (done) done(std::move(out));
    });
}

}  // namespace

std::string describe(const CommandOutcome& o, std::chrono::milliseconds timeout) {
    switch (o.kind) {
        case CommandOutcome::Kind::exited:
            return "exited with status " + std::to_string(o.code);
        case CommandOutcome::Kind::signaled:
            return "killed by signal " + std::to_string(o.code);
        case CommandOutcome::Kind::timed_out:
            return "timed out after " + std::to_string(timeout.count()) + " ms and was killed";
        case CommandOutcome::Kind::not_started:
            break;
    }
    return "could not start: " + o.error;
}

std::shared_ptr<RunningCommand> run_command(asio::io_context& io, const Command& command,
                                            std::function<void(CommandOutcome)> done) {
    if (command.argv.empty() || command.argv[0].empty() || command.argv[0][0] != '/') {
        fail_later(io, std::move(done), "the command must start with an absolute path");
        return nullptr;
    }
    std::vector<std::string> env_text;
    for (const auto& [name, value] : command.env) env_text.push_back(name + "=" + value);
    env_text.push_back(std::string("PATH=") + k_command_path);
    std::vector<char*> envp, argv;
    for (auto& e : env_text) envp.push_back(e.data());
    envp.push_back(nullptr);
    for (const auto& a : command.argv) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    SpawnSetup setup(command.output_fd);
    pid_t pid = -1;
    if (int e = ::posix_spawn(&pid, argv[0], &setup.actions, &setup.attr, argv.data(), envp.data()); e != 0) {
        fail_later(io, std::move(done), std::strerror(e));
        return nullptr;
    }
    const int pidfd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
    if (pidfd < 0) {
        // No pidfd (a kernel before 5.3): the child cannot be watched
        // without blocking, so it does not run.
        const int e = errno;
        ::kill(-pid, SIGKILL);
        ::waitpid(pid, nullptr, 0);
        fail_later(io, std::move(done), std::string("cannot watch it (pidfd_open): ") + std::strerror(e));
        return nullptr;
    }
    auto running = std::make_shared<RunningCommand>(io, pid, pidfd, std::move(done));
    running->watch(command.timeout);
    return running;
}

void kill_command(RunningCommand& running) {
    running.kill_group();
}

}  // namespace credctl::notify
