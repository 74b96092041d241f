// Expiry stampede load generator (docs/benchmarks.md, "Expiry stampede").
//
//     credctl_bench_stampede SOCKET[,SOCKET...] TARGET N [PID[,PID...]]
//
// Opens N connections to credd's Unix socket, waits until credd has taken
// all of them (GET /v1/status reports N + 1 connections: identity is read at
// accept, so that cost is not measured), then writes one
// `GET TARGET HTTP/1.1` (Connection: close) on each, back to back, and reads
// every answer to its end with epoll. Prints one JSON line: the callers, how
// many got 200, the time it took to send all N requests, and the latency of
// the first, median and last answer, each measured from the moment the first
// request was sent until the answer was complete: its head and as many bytes
// of body as its Content-Length says, which is when credctl, reading with
// Beast, has its token and closes the connection; so does this client.
// Given credd's PID,
// also, for credd's main (I/O) thread in that window (/proc/PID/schedstat),
// the CPU time it used, which other load on the machine does not blur, and
// the time it was ready to run but waited for a CPU, which is that load;
// and the CPU time of all credd's threads together. Last, the CPU time of
// this client itself: on a machine of 2 cores, credd's threads, this client
// and the provider share them.
//
// Several sockets (a fleet of credds, docs/fleet.md) share the N callers
// round-robin, caller i on socket i % count; each credd must have taken its
// share before the requests go out. Several PIDs (credd's of each socket):
// the CPU figures are their sums.
//
// With --floor, the callers go instead to the floor of bench/floor_responder.hpp
// (a child process with one epoll loop, started on SOCKET.floor with credd's
// answer to TARGET, fetched once from SOCKET): the work credd must do for
// each of them from its cache, as plain code; PID's figures are then the
// floor's. What no credd can go below on the machine at hand.
//
// Plain sockets and one epoll loop on purpose: the client must cost far less
// per request than the daemon it measures (the Python asyncio client it
// replaces spent more time per request than credd itself).
#include "bench/answer_server.hpp"
#include "bench/floor_responder.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

struct Caller {
    int fd = -1;
    std::string answer;
    Clock::time_point done{};  // the answer is complete (or the connection ended)
    bool finished = false;
};

// Whether `answer` holds a whole HTTP answer: the head, then Content-Length
// bytes of body (an answer without Content-Length ends at end of file).
bool complete(const std::string& answer) {
    const auto head_end = answer.find("\r\n\r\n");
    if (head_end == std::string::npos) return false;
    const auto field = answer.find("\r\nContent-Length: ");
    if (field == std::string::npos || field > head_end) return false;
    const auto length = std::strtoul(answer.c_str() + field + 18, nullptr, 10);
    return answer.size() >= head_end + 4 + length;
}

[[noreturn]] void die(const std::string& what) {
    std::fprintf(stderr, "credctl_bench_stampede: %s: %s\n", what.c_str(), std::strerror(errno));
    std::exit(1);
}

int connect_to(const std::string& path) {
    const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) die("socket");
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    if (path.size() >= sizeof(addr.sun_path)) die("socket path too long: " + path);
    std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) die("connect " + path);
    return fd;
}

// One blocking request on a fresh connection; the whole answer.
std::string fetch(const std::string& path, const std::string& target) {
    const int fd = connect_to(path);
    const std::string req = "GET " + target + " HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n";
    if (::write(fd, req.data(), req.size()) != static_cast<ssize_t>(req.size())) die("write");
    std::string out;
    char buf[4096];
    for (ssize_t n; (n = ::read(fd, buf, sizeof buf)) > 0;) out.append(buf, static_cast<std::size_t>(n));
    ::close(fd);
    return out;
}

// credd's connection count, from GET /v1/status; -1 when unreadable.
long connections(const std::string& path) {
    const std::string s = fetch(path, "/v1/status");
    const auto at = s.find("\"connections\":");
    return at == std::string::npos ? -1 : std::strtol(s.c_str() + at + 14, nullptr, 10);
}

int status_of(const std::string& answer) {
    // "HTTP/1.1 200 OK"
    return answer.size() > 12 ? std::atoi(answer.c_str() + 9) : 0;
}

// The main thread of `pid`: nanoseconds on a CPU, and nanoseconds ready to
// run but waiting for one (/proc/PID/schedstat); zeros when unknown.
struct CpuTime {
    long long on_cpu_ns = 0;
    long long waiting_ns = 0;
};
CpuTime read_schedstat(const std::string& path) {
    CpuTime t;
    FILE* f = std::fopen(path.c_str(), "r");
    if (f == nullptr) return t;
    if (std::fscanf(f, "%lld %lld", &t.on_cpu_ns, &t.waiting_ns) != 2) t = {};
    std::fclose(f);
    return t;
}
CpuTime cpu_of(const std::string& pid) {
    return pid.empty() ? CpuTime{} : read_schedstat("/proc/" + pid + "/schedstat");
}
// The same, summed over every thread of `pid`.
CpuTime cpu_of_all_threads(const std::string& pid) {
    CpuTime sum;
    if (pid.empty()) return sum;
    const std::string tasks = "/proc/" + pid + "/task";
    DIR* d = ::opendir(tasks.c_str());
    if (d == nullptr) return sum;
    while (const dirent* e = ::readdir(d)) {
        if (e->d_name[0] == '.') continue;
        const CpuTime t = read_schedstat(tasks + "/" + e->d_name + "/schedstat");
        sum.on_cpu_ns += t.on_cpu_ns;
        sum.waiting_ns += t.waiting_ns;
    }
    ::closedir(d);
    return sum;
}
// This process's own CPU time (user and system), in nanoseconds.
long long own_cpu_ns() {
    rusage u{};
    ::getrusage(RUSAGE_SELF, &u);
    return (u.ru_utime.tv_sec + u.ru_stime.tv_sec) * 1000000000LL + (u.ru_utime.tv_usec + u.ru_stime.tv_usec) * 1000LL;
}

// Writes `command` to perf's control FIFO, if there is one.
void perf(const char* fifo, const char* command) {
    if (fifo == nullptr) return;
    const int fd = ::open(fifo, O_WRONLY | O_CLOEXEC);
    if (fd < 0) die(std::string("open ") + fifo);
    if (::write(fd, command, std::strlen(command)) < 0) die("write to perf");
    ::close(fd);
}

double ms(Clock::duration d) {
    return std::chrono::duration<double, std::milli>(d).count();
}

// N sockets may exceed the usual soft limit of 1024 open files.
void raise_file_limit() {
    rlimit files{};
    if (::getrlimit(RLIMIT_NOFILE, &files) == 0 && files.rlim_cur < files.rlim_max) {
        files.rlim_cur = files.rlim_max;
        ::setrlimit(RLIMIT_NOFILE, &files);
    }
}

// How many descriptors process `pid` has open.
long open_descriptors(int pid) {
    DIR* d = ::opendir(("/proc/" + std::to_string(pid) + "/fd").c_str());
    if (d == nullptr) die("open /proc/PID/fd");
    long count = 0;
    while (const dirent* e = ::readdir(d)) count += e->d_name[0] == '.' ? 0 : 1;
    ::closedir(d);
    return count;
}

// Polls `taken` every 10 ms, for up to 5 s, until it holds.
void wait_until(const std::function<bool()>& taken, const std::string& who) {
    for (int i = 0; !taken(); ++i) {
        if (i == 500) die(who + " did not take all connections");
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
}

// N non-blocking connections, spread over `paths` round-robin.
std::vector<Caller> connect_all(const std::vector<std::string>& paths, int n) {
    std::vector<Caller> callers(static_cast<std::size_t>(n));
    for (std::size_t i = 0; i < callers.size(); ++i) {
        callers[i].fd = connect_to(paths[i % paths.size()]);
        if (::fcntl(callers[i].fd, F_SETFL, O_NONBLOCK) != 0) die("fcntl");
    }
    return callers;
}

// Returns once each credd has accepted and identified every one of its
// share of N connections.
void wait_for_credds(const std::vector<std::string>& paths, int n) {
    const auto count = static_cast<int>(paths.size());
    for (int p = 0; p < count; ++p) {
        const int share = n / count + (p < n % count ? 1 : 0);
        const auto& path = paths[static_cast<std::size_t>(p)];
        wait_until([&] { return connections(path) >= share + 1; }, "credd on " + path);
    }
}

// Returns once the floor `pid` holds N descriptors more than `before`.
void wait_for_floor(int pid, long before, int n) {
    wait_until([&] { return open_descriptors(pid) >= before + n; }, "the floor");
    // The count includes a connection whose identification is still going
    // on (its /proc files open): let it end.
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
}

// An epoll set watching every caller for input, keyed by its index.
int watch(const std::vector<Caller>& callers) {
    const int ep = ::epoll_create1(EPOLL_CLOEXEC);
    for (std::size_t i = 0; i < callers.size(); ++i) {
        epoll_event ev{};
        ev.events = EPOLLIN;
        ev.data.u64 = i;
        if (::epoll_ctl(ep, EPOLL_CTL_ADD, callers[i].fd, &ev) != 0) die("epoll_ctl");
    }
    return ep;
}

// Reads every answer to its end, noting when each was complete; once the
// first is, switches on the profile of `perf_at_first` (a perf control
// FIFO; none when null).
void read_answers(int ep, std::vector<Caller>& callers, const char* perf_at_first) {
    std::size_t open = callers.size();
    std::vector<epoll_event> events(256);
    char buf[8192];
    while (open > 0) {
        const int k = ::epoll_wait(ep, events.data(), static_cast<int>(events.size()), 10000);
        if (k < 0 && errno == EINTR) continue;
        if (k <= 0) die("no answer within 10 s");
        for (int e = 0; e < k; ++e) {
            auto& c = callers[events[e].data.u64];
            // As credctl does: read until the answer is complete, then close
            // (credd closes its end too). One read is nearly always enough:
            // the client spends as little as it can of the CPUs it shares
            // with credd.
            const ssize_t got = ::read(c.fd, buf, sizeof buf);
            if (got < 0 && errno == EAGAIN) continue;
            if (got > 0) c.answer.append(buf, static_cast<std::size_t>(got));
            if (got > 0 && !complete(c.answer)) continue;
            c.done = Clock::now();
            if (open == callers.size()) perf(perf_at_first, "enable\n");
            c.finished = true;
            ::close(c.fd);  // also takes it out of the epoll set
            --open;
        }
    }
}

// CPU times read at the start and at the end of the measured window,
// summed over every credd of the run.
struct CpuSample {
    CpuTime main_thread;
    CpuTime all_threads;
    long long own_ns = 0;
};
CpuSample sample_cpu(const std::vector<std::string>& pids) {
    CpuSample s{{}, {}, own_cpu_ns()};
    for (const auto& pid : pids) {
        const CpuTime main = cpu_of(pid);
        const CpuTime all = cpu_of_all_threads(pid);
        s.main_thread.on_cpu_ns += main.on_cpu_ns;
        s.main_thread.waiting_ns += main.waiting_ns;
        s.all_threads.on_cpu_ns += all.on_cpu_ns;
        s.all_threads.waiting_ns += all.waiting_ns;
    }
    return s;
}

// "a,b,c" as {"a", "b", "c"}; "" as {}.
std::vector<std::string> split(const std::string& list) {
    std::vector<std::string> out;
    for (std::size_t start = 0; start < list.size();) {
        const auto comma = std::min(list.find(',', start), list.size());
        out.push_back(list.substr(start, comma - start));
        start = comma + 1;
    }
    return out;
}

// The JSON line of the results; returns how many callers got 200.
int report(const std::vector<Caller>& callers, Clock::time_point t0, Clock::time_point sent, bool with_credd_cpu,
           const CpuSample& before, const CpuSample& after) {
    std::vector<double> lat;
    int ok = 0;
    for (const auto& c : callers) {
        lat.push_back(ms(c.done - t0));
        ok += status_of(c.answer) == 200 ? 1 : 0;
    }
    std::sort(lat.begin(), lat.end());
    std::printf(
        "{\"callers\": %zu, \"ok\": %d, \"send_ms\": %.1f, \"first_ms\": %.1f, \"median_ms\": %.1f, "
        "\"last_ms\": %.1f",
        callers.size(), ok, ms(sent - t0), lat.front(), lat[lat.size() / 2], lat.back());
    if (with_credd_cpu) {
        std::printf(", \"credd_cpu_ms\": %.1f, \"credd_runnable_ms\": %.1f, \"credd_all_threads_cpu_ms\": %.1f",
                    static_cast<double>(after.main_thread.on_cpu_ns - before.main_thread.on_cpu_ns) / 1e6,
                    static_cast<double>(after.main_thread.waiting_ns - before.main_thread.waiting_ns) / 1e6,
                    static_cast<double>(after.all_threads.on_cpu_ns - before.all_threads.on_cpu_ns) / 1e6);
    }
    std::printf(", \"client_cpu_ms\": %.1f", static_cast<double>(after.own_ns - before.own_ns) / 1e6);
    std::printf("}\n");
    return ok;
}

}  // namespace

int main(int argc, char** argv) {
    const bool floor = argc > 1 && std::string(argv[1]) == "--floor";
    argc -= floor ? 1 : 0;
    argv += floor ? 1 : 0;
    if (argc != 4 && argc != 5) {
        std::fprintf(stderr, "usage: credctl_bench_stampede [--floor] SOCKET[,SOCKET...] TARGET N [PID[,PID...]]\n");
        return 2;
    }
    std::vector<std::string> paths = split(argv[1]);
    const std::string target = argv[2];
    const int n = std::atoi(argv[3]);
    std::vector<std::string> pids = split(argc == 5 ? argv[4] : "");
    if (n <= 0 || paths.empty()) return 2;
    raise_file_limit();
    std::optional<bench::AnswerServer> floor_server;
    if (floor) {
        const std::string answer = fetch(paths[0], target);
        if (status_of(answer) != 200) die("credd did not answer " + target + " with 200");
        floor_server.emplace(paths[0] + ".floor", bench::floor_responder(answer, paths[0] + ".floor-audit.jsonl"));
        paths = {floor_server->path()};
        pids = {std::to_string(floor_server->pid())};
    }
    const long floor_before = floor ? open_descriptors(floor_server->pid()) : 0;
    std::vector<Caller> callers = connect_all(paths, n);
    if (floor) {
        wait_for_floor(floor_server->pid(), floor_before, n);
    } else {
        wait_for_credds(paths, n);
    }
    const int ep = watch(callers);
    const std::string req = "GET " + target + " HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n";
    // With STAMPEDE_PERF_CTL set to the control FIFO of a `perf record -D -1
    // --control fifo:...`, the profile covers the requests and answers only,
    // not the connections and the identification that precede them. With
    // STAMPEDE_PERF_FROM_ANSWER set as well, it starts at the first complete
    // answer: in a round with a refresh, the answers to its waiters alone.
    const char* perf_ctl = std::getenv("STAMPEDE_PERF_CTL");
    const bool from_answer = std::getenv("STAMPEDE_PERF_FROM_ANSWER") != nullptr;
    if (!from_answer) perf(perf_ctl, "enable\n");
    const CpuSample before = sample_cpu(pids);
    const auto t0 = Clock::now();
    for (auto& c : callers) {
        if (::write(c.fd, req.data(), req.size()) != static_cast<ssize_t>(req.size())) die("write");
    }
    const auto sent = Clock::now();
    read_answers(ep, callers, from_answer ? perf_ctl : nullptr);
    const CpuSample after = sample_cpu(pids);
    perf(perf_ctl, "disable\n");
    return report(callers, t0, sent, !pids.empty(), before, after) == n ? 0 : 1;
}
