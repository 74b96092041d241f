// The notify command runner: a real child, watched on a real io_context.
// It gets exactly its four variables plus PATH, no descriptor of ours but
// stdin, stdout and stderr, is killed (with what it started) at its
// timeout, and is reaped.
#include "daemon/notify/command_runner.hpp"

#include "temp_dir.hpp"

#include "support/capture.hpp"

#include <gtest/gtest.h>

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>

#include <boost/asio/io_context.hpp>

#include <chrono>
#include <fstream>
#include <optional>
#include <sstream>
#include <thread>

namespace credctl::notify {
namespace {

using namespace std::chrono_literals;
using credctl::test::TempDir;

using test::slurp;

class CommandRunnerTest : public ::testing::Test {
protected:
    void SetUp() override {
        out_path_ = dir_.file("out");
        out_fd_ = ::open(out_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        ASSERT_GE(out_fd_, 0);
    }
    void TearDown() override { ::close(out_fd_); }

    // Runs `argv` to its end; its outcome.
    CommandOutcome run(std::vector<std::string> argv, std::chrono::milliseconds timeout = 10s) {
        Command c{std::move(argv), {{"CREDCTL_USER", "alice"}}, timeout, out_fd_};
        std::optional<CommandOutcome> outcome;
        run_command(io_, c, [&](CommandOutcome o) { outcome = std::move(o); });
        io_.run();
        io_.restart();
        EXPECT_TRUE(outcome.has_value());
        return outcome.value_or(CommandOutcome{});
    }

    TempDir dir_;
    std::string out_path_;
    int out_fd_ = -1;
    boost::asio::io_context io_;
};

TEST_F(CommandRunnerTest, TheEnvironmentIsExactlyTheGivenVariablesPlusPath) {
    ::setenv("CREDCTL_TEST_INHERITED_SECRET", "must-not-leak", 1);
    Command c{{"/usr/bin/env"},
              {{"CREDCTL_USER", "alice"},
               {"CREDCTL_PROVIDER", "demo"},
               {"CREDCTL_STATE", "login_required"},
               {"CREDCTL_REASON", "invalid_grant"}},
              10s,
              out_fd_};
    std::optional<CommandOutcome> outcome;
    run_command(io_, c, [&](CommandOutcome o) { outcome = std::move(o); });
    io_.run();
    ::unsetenv("CREDCTL_TEST_INHERITED_SECRET");
    ASSERT_TRUE(outcome.has_value());
    EXPECT_TRUE(outcome->ok()) << describe(*outcome, 10s);
    EXPECT_EQ(slurp(out_path_), std::string("CREDCTL_USER=alice\nCREDCTL_PROVIDER=demo\nCREDCTL_STATE=login_required\n"
                                            "CREDCTL_REASON=invalid_grant\nPATH=") +
                                    k_command_path + "\n");
}

TEST_F(CommandRunnerTest, ArgumentsArePassedWithoutAShell) {
    auto o = run({"/bin/echo", "--user", "$HOME; rm -rf /", "*"});
    EXPECT_TRUE(o.ok()) << describe(o, 10s);
    EXPECT_EQ(slurp(out_path_), "--user $HOME; rm -rf / *\n");
}

TEST_F(CommandRunnerTest, NoDescriptorOfOursReachesTheChild) {
    // Neither close-on-exec nor not: the runner closes them all.
    const int leaky = ::open("/dev/null", O_RDONLY);
    ASSERT_GE(leaky, 3);
    auto o = run({"/bin/sh", "-c", "ls /proc/$$/fd; true"});
    ::close(leaky);
    EXPECT_TRUE(o.ok()) << describe(o, 10s);
    EXPECT_EQ(slurp(out_path_), "0\n1\n2\n");
}

TEST_F(CommandRunnerTest, StdinIsDevNull) {
    auto o = run({"/bin/sh", "-c", "readlink /proc/$$/fd/0; true"});
    EXPECT_TRUE(o.ok());
    EXPECT_EQ(slurp(out_path_), "/dev/null\n");
}

TEST_F(CommandRunnerTest, ANonZeroExitIsReported) {
    auto o = run({"/bin/sh", "-c", "exit 3"});
    EXPECT_EQ(o.kind, CommandOutcome::Kind::exited);
    EXPECT_EQ(o.code, 3);
    EXPECT_FALSE(o.ok());
    EXPECT_EQ(describe(o, 10s), "exited with status 3");
}

TEST_F(CommandRunnerTest, ACommandThatCannotStartIsReported) {
    auto o = run({"/nonexistent/notify-login"});
    EXPECT_EQ(o.kind, CommandOutcome::Kind::not_started);
    EXPECT_EQ(describe(o, 10s), "could not start: No such file or directory");
}

TEST_F(CommandRunnerTest, ARelativeProgramIsRefused) {
    auto o = run({"sh", "-c", "true"});
    EXPECT_EQ(o.kind, CommandOutcome::Kind::not_started);
    EXPECT_EQ(o.error, "the command must start with an absolute path");
}

TEST_F(CommandRunnerTest, TheTimeoutKillsTheCommandAndWhatItStarted) {
    // The shell starts a sleep in the background and waits for it; its pid
    // is written first so that the test can check it is gone too.
    const auto start = std::chrono::steady_clock::now();
    auto o = run({"/bin/sh", "-c", "sleep 30 & echo $!; wait"}, 300ms);
    const auto took = std::chrono::steady_clock::now() - start;
    EXPECT_EQ(o.kind, CommandOutcome::Kind::timed_out);
    EXPECT_EQ(describe(o, 300ms), "timed out after 300 ms and was killed");
    EXPECT_LT(took, 5s);
    const pid_t sleeper = static_cast<pid_t>(std::stoi(slurp(out_path_)));
    // The orphaned sleep is reparented and reaped by init, or a zombie
    // until then: in either case no longer running. A process sent SIGKILL
    // stays runnable (state R) until the kernel next schedules it, which on
    // a busy machine can take a moment: wait for that, not for the sleep.
    const std::string proc_stat = "/proc/" + std::to_string(sleeper) + "/stat";
    const auto gone = [&] {
        const std::string stat = slurp(proc_stat);
        return stat.empty() || stat.find(") Z ") != std::string::npos;
    };
    const auto deadline = std::chrono::steady_clock::now() + 5s;
    while (!gone() && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(10ms);
    EXPECT_TRUE(gone()) << slurp(proc_stat);
}

TEST_F(CommandRunnerTest, TheChildIsReaped) {
    pid_t pid = 0;
    auto o = run({"/bin/sh", "-c", "echo $$"});
    EXPECT_TRUE(o.ok());
    pid = static_cast<pid_t>(std::stoi(slurp(out_path_)));
    // Reaped: no zombie of ours left.
    EXPECT_EQ(::waitpid(pid, nullptr, WNOHANG), -1);
    EXPECT_EQ(errno, ECHILD);
}

}  // namespace
}  // namespace credctl::notify
