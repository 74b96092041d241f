// Closed-loop process spawner (docs/benchmarks.md, "credctl start-up").
//
//     credctl_bench_spawn [-t SECONDS] [-i STDIN_FILE] -- CMD_A... ::: CMD_B...
//
// One worker: starts CMD_A, waits for it, starts CMD_B, waits for it, and so
// on, interleaved, until each side has run for at least SECONDS (default 2)
// in total. Interleaving makes whatever else loads the machine hit both sides
// alike, so the ratio of the two is what to read, not the absolute figures.
// Each run's wall time is taken from just before posix_spawn() until waitpid()
// returns; standard output goes to /dev/null, standard input comes from
// STDIN_FILE (opened anew for each run, for both sides) or /dev/null.
//
// Prints, for each side, the runs and p50/p90/p99 in microseconds, then the
// ratio A/B of each percentile. Exits 1 when a run of either side fails (exit
// status not 0): a failing command is not what is meant to be measured.
#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

extern char** environ;

namespace {

using Clock = std::chrono::steady_clock;

struct Side {
    std::vector<char*> argv;
    std::vector<double> us;
    double total_s = 0;
};

[[noreturn]] void usage() {
    std::fprintf(stderr, "usage: credctl_bench_spawn [-t SECONDS] [-i STDIN_FILE] -- CMD_A... ::: CMD_B...\n");
    std::exit(2);
}

// One run: wall time in microseconds, or exits when the command fails.
double run_once(Side& side, const char* stdin_file) {
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, stdin_file, O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    const auto start = Clock::now();
    pid_t pid = 0;
    const int rc = posix_spawn(&pid, side.argv[0], &fa, nullptr, side.argv.data(), environ);
    int status = 0;
    if (rc == 0) ::waitpid(pid, &status, 0);
    const auto end = Clock::now();
    posix_spawn_file_actions_destroy(&fa);
    if (rc != 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        std::fprintf(stderr, "credctl_bench_spawn: %s failed (%s, status %d)\n", side.argv[0],
                     rc != 0 ? std::strerror(rc) : "ran", status);
        std::exit(1);
    }
    const double us = std::chrono::duration<double, std::micro>(end - start).count();
    side.us.push_back(us);
    side.total_s += us / 1e6;
    return us;
}

double percentile(std::vector<double> v, double p) {
    std::sort(v.begin(), v.end());
    const auto i = static_cast<std::size_t>(p * static_cast<double>(v.size() - 1) + 0.5);
    return v[i];
}

}  // namespace

int main(int argc, char** argv) {
    double seconds = 2;
    const char* stdin_file = "/dev/null";
    int i = 1;
    for (; i < argc && std::strcmp(argv[i], "--") != 0; ++i) {
        if (std::strcmp(argv[i], "-t") == 0 && i + 1 < argc) {
            seconds = std::atof(argv[++i]);
        } else if (std::strcmp(argv[i], "-i") == 0 && i + 1 < argc) {
            stdin_file = argv[++i];
        } else {
            usage();
        }
    }
    Side a;
    Side b;
    Side* cur = &a;
    for (++i; i < argc; ++i) {
        if (std::strcmp(argv[i], ":::") == 0) {
            cur = &b;
        } else {
            cur->argv.push_back(argv[i]);
        }
    }
    if (a.argv.empty() || b.argv.empty() || seconds <= 0) usage();
    a.argv.push_back(nullptr);
    b.argv.push_back(nullptr);
    // Warm-up: page cache, the daemon's first connection of this client.
    for (int w = 0; w < 20; ++w) {
        run_once(a, stdin_file);
        run_once(b, stdin_file);
    }
    a = Side{a.argv, {}, 0};
    b = Side{b.argv, {}, 0};
    while (a.total_s < seconds || b.total_s < seconds) {
        run_once(a, stdin_file);
        run_once(b, stdin_file);
    }
    const double pa[3] = {percentile(a.us, 0.5), percentile(a.us, 0.9), percentile(a.us, 0.99)};
    const double pb[3] = {percentile(b.us, 0.5), percentile(b.us, 0.9), percentile(b.us, 0.99)};
    std::printf("A %-40.40s runs %6zu  p50 %7.0f  p90 %7.0f  p99 %7.0f us\n", a.argv[0], a.us.size(), pa[0], pa[1],
                pa[2]);
    std::printf("B %-40.40s runs %6zu  p50 %7.0f  p90 %7.0f  p99 %7.0f us\n", b.argv[0], b.us.size(), pb[0], pb[1],
                pb[2]);
    std::printf("ratio A/B  p50 %.2f  p90 %.2f  p99 %.2f\n", pa[0] / pb[0], pa[1] / pb[1], pa[2] / pb[2]);
    return 0;
}
