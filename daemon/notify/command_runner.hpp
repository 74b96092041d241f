// Runs a notify command: argv[0] (an absolute path) with argv, without a
// shell, as a child watched asynchronously on the I/O thread (a pidfd and a
// timer: nothing blocks), killed at its timeout, always reaped.
//
// What the child gets, and nothing more:
// - an environment of exactly the given variables plus a fixed PATH
//   (k_command_path): nothing of credd's environment is inherited;
// - stdin from /dev/null, stdout and stderr on `output_fd` (credd's stderr,
//   so that what it says lands in credd's log), every other descriptor
//   closed: credd's socket, store and audit log never reach it;
// - default signal dispositions, an empty signal mask, and a process group
//   of its own, so that the timeout kills what it started too (SIGKILL to
//   the group, before the child is reaped).
//
// Used by the Alerter. Thread-safety: I/O thread only.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <unistd.h>

namespace boost::asio {
class io_context;
}

namespace credctl::notify {

constexpr const char* k_command_path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

struct CommandOutcome {
    enum class Kind { exited, signaled, timed_out, not_started };
    Kind kind = Kind::not_started;
    int code = 0;       // exit status (exited) or signal (signaled)
    std::string error;  // not_started: why
    [[nodiscard]] bool ok() const { return kind == Kind::exited && code == 0; }
};

// "exited with status 3", "killed by signal 9", "timed out after 10 s and
// was killed", "could not start: No such file or directory".
[[nodiscard]] std::string describe(const CommandOutcome& outcome, std::chrono::milliseconds timeout);

using Environment = std::vector<std::pair<std::string, std::string>>;

struct Command {
    std::vector<std::string> argv;  // argv[0]: absolute path; not empty
    Environment env;                // PATH is added
    std::chrono::milliseconds timeout{10000};
    int output_fd = STDERR_FILENO;  // the child's stdout and stderr
};

// A running child, so that it can be killed early (shutdown).
class RunningCommand;

// Starts `command`; `done` is called on `io`'s thread once the child was
// reaped (or at once, posted, when it could not start). The returned handle
// may be dropped; the child is watched either way.
std::shared_ptr<RunningCommand> run_command(boost::asio::io_context& io, const Command& command,
                                            std::function<void(CommandOutcome)> done);

// Kills the child's process group now (its outcome is then signaled), unless
// it already ended.
void kill_command(RunningCommand& running);

}  // namespace credctl::notify
