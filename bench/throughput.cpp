// Cached-token throughput through credd against a bare Unix-socket
// ping-pong of the same size (docs/benchmarks.md, "Throughput").
//
//     credctl_bench_throughput SOCKET TARGET CLIENTS SECONDS [ROUNDS [PID [AGAINST AGAINST_PID]]]
//
// Opens CLIENTS persistent (keep-alive) connections to credd's socket and
// keeps one `GET TARGET` in flight on each: as soon as an answer is complete
// (head and Content-Length bytes of body) the next request goes out on that
// connection. Then the same with two servers of this program, each a child
// process with one epoll loop on a Unix socket of its own
// (bench/answer_server.hpp): the bare server answers each request head with
// a copy of credd's first answer (same size), and the floor does for each
// the work credd must do and nothing else (bench/floor_responder.hpp).
// ROUNDS (default 3) rounds of SECONDS / ROUNDS each side alternate, so that
// other load on the machine hits all alike. Prints, for each side, answers
// per second and the p50, p99 and max of the latency from request written
// to answer complete, then the ratios credd / bare and floor / bare of
// answers per second. Given credd's PID, also the
// CPU time per answer of each server (all of credd's threads, from
// /proc/PID/stat; the bare and floor server processes): unlike the rates, other load on
// the machine hardly moves it.
//
// Given AGAINST, the socket of another running server (credd on another
// store backend, docs/benchmarks.md "etcd backend"), and its PID, that
// server is the second side instead of the bare server, labelled "against",
// and the ratio is credd / against.
//
// One epoll loop drives every client connection: the client must cost far
// less per request than the daemon it measures.
#include "bench/answer_server.hpp"
#include "bench/floor_responder.hpp"

#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

[[noreturn]] void die(const std::string& what) {
    std::fprintf(stderr, "credctl_bench_throughput: %s: %s\n", what.c_str(), std::strerror(errno));
    std::exit(1);
}

sockaddr_un address(const std::string& path) {
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    if (path.size() >= sizeof(addr.sun_path)) die("socket path too long: " + path);
    std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
    return addr;
}

int connect_to(const std::string& path) {
    const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) die("socket");
    const auto addr = address(path);
    if (::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof(addr)) != 0) die("connect " + path);
    return fd;
}

// The length of the whole answer at the start of `buf`, or 0 while it is
// incomplete.
std::size_t answer_length(const std::string& buf) {
    const auto head_end = buf.find("\r\n\r\n");
    if (head_end == std::string::npos) return 0;
    const auto field = buf.find("\r\nContent-Length: ");
    if (field == std::string::npos || field > head_end) die("answer without Content-Length");
    const auto length = std::strtoul(buf.c_str() + field + 18, nullptr, 10);
    const std::size_t total = head_end + 4 + length;
    return buf.size() >= total ? total : 0;
}

void write_all(int fd, const std::string& s) {
    std::size_t off = 0;
    while (off < s.size()) {
        const ssize_t n = ::write(fd, s.data() + off, s.size() - off);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) die("write");
        off += static_cast<std::size_t>(n);
    }
}

struct Conn {
    int fd = -1;
    std::string buf;
    Clock::time_point sent;
};

struct Result {
    std::size_t answers = 0;
    double seconds = 0;
    double server_cpu_s = 0;
    std::vector<double> latency_us;
    std::string first_answer;
};

// Closed loop on `conns` for `seconds`; adds to `out`.
void drive(std::vector<Conn>& conns, const std::string& request, double seconds, Result& out) {
    const int ep = ::epoll_create1(EPOLL_CLOEXEC);
    if (ep < 0) die("epoll_create1");
    for (std::size_t i = 0; i < conns.size(); ++i) {
        epoll_event ev{};
        ev.events = EPOLLIN;
        ev.data.u64 = i;
        if (::epoll_ctl(ep, EPOLL_CTL_ADD, conns[i].fd, &ev) != 0) die("epoll_ctl");
    }
    const auto start = Clock::now();
    const auto end = start + std::chrono::duration<double>(seconds);
    for (auto& c : conns) {
        c.sent = Clock::now();
        write_all(c.fd, request);
    }
    std::size_t in_flight = conns.size();
    std::vector<epoll_event> events(conns.size());
    char chunk[16384];
    while (in_flight > 0) {
        const int n = ::epoll_wait(ep, events.data(), static_cast<int>(events.size()), 5000);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) die("no answer within 5 s");
        const auto now = Clock::now();
        for (int e = 0; e < n; ++e) {
            auto& c = conns[events[e].data.u64];
            const ssize_t got = ::read(c.fd, chunk, sizeof chunk);
            if (got <= 0) die("the server closed a connection");
            c.buf.append(chunk, static_cast<std::size_t>(got));
            const std::size_t len = answer_length(c.buf);
            if (len == 0) continue;
            if (out.first_answer.empty()) out.first_answer = c.buf.substr(0, len);
            if (c.buf.compare(9, 3, "200") != 0) die("answer not 200: " + c.buf.substr(0, 40));
            c.buf.erase(0, len);
            ++out.answers;
            out.latency_us.push_back(std::chrono::duration<double, std::micro>(now - c.sent).count());
            if (now < end) {
                c.sent = now;
                write_all(c.fd, request);
            } else {
                --in_flight;
            }
        }
    }
    out.seconds += std::chrono::duration<double>(Clock::now() - start).count();
    ::close(ep);
}

// utime + stime of all threads of `pid`, in seconds (0 without a pid).
double process_cpu_s(int pid) {
    if (pid <= 0) return 0;
    std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
    std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    std::istringstream fields(stat.substr(stat.rfind(')') + 2));
    std::string field;
    unsigned long long utime = 0;
    unsigned long long stime = 0;
    for (int i = 3; i <= 15 && fields >> field; ++i) {
        if (i == 14) utime = std::stoull(field);
        if (i == 15) stime = std::stoull(field);
    }
    return static_cast<double>(utime + stime) / static_cast<double>(::sysconf(_SC_CLK_TCK));
}

double percentile(std::vector<double>& v, double p) {
    std::sort(v.begin(), v.end());
    return v[static_cast<std::size_t>(p * static_cast<double>(v.size() - 1) + 0.5)];
}

void print(const char* name, Result& r) {
    const double rate = static_cast<double>(r.answers) / r.seconds;
    const double p50 = percentile(r.latency_us, 0.5);
    const double p99 = percentile(r.latency_us, 0.99);
    std::printf("%-7s answers %8zu  %9.0f /s  p50 %7.0f  p99 %7.0f  max %7.0f us", name, r.answers, rate, p50, p99,
                r.latency_us.back());
    if (r.server_cpu_s > 0)
        std::printf("  server CPU %.1f us/answer", r.server_cpu_s * 1e6 / static_cast<double>(r.answers));
    std::printf("\n");
}

std::vector<Conn> open_all(const std::string& path, int n) {
    std::vector<Conn> conns(static_cast<std::size_t>(n));
    for (auto& c : conns) c.fd = connect_to(path);
    return conns;
}

// One server measured: its name, pid (0: unknown), connections and figures.
struct Side {
    const char* name;
    int pid;
    std::vector<Conn> conns;
    Result result;
};

void report(std::vector<Side>& sides, int clients, int rounds, double seconds, std::size_t answer_size) {
    std::printf("clients %d, answer %zu bytes, %d rounds of %.2f s each side\n", clients, answer_size, rounds,
                seconds / rounds);
    for (auto& side : sides) print(side.name, side.result);
    const auto rate = [](const Result& r) { return static_cast<double>(r.answers) / r.seconds; };
    std::printf("ratio credd/%s %.2f\n", sides[1].name, rate(sides[0].result) / rate(sides[1].result));
    if (sides.size() > 2) {
        std::printf("ratio floor/bare %.2f (no credd can pass it)\n", rate(sides[2].result) / rate(sides[1].result));
    }
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 5 || argc == 8) {
        std::fprintf(stderr,
                     "usage: credctl_bench_throughput SOCKET TARGET CLIENTS SECONDS [ROUNDS [PID [AGAINST "
                     "AGAINST_PID]]]\n");
        return 2;
    }
    const std::string socket = argv[1];
    const std::string request = std::string("GET ") + argv[2] + " HTTP/1.1\r\nHost: localhost\r\n\r\n";
    const int clients = std::atoi(argv[3]);
    const double seconds = std::atof(argv[4]);
    const int rounds = argc > 5 ? std::atoi(argv[5]) : 3;
    const int pid = argc > 6 ? std::atoi(argv[6]) : 0;
    const std::string against = argc > 8 ? argv[7] : "";
    const int against_pid = argc > 8 ? std::atoi(argv[8]) : 0;
    if (clients < 1 || seconds <= 0 || rounds < 1) return 2;

    auto credd_conns = open_all(socket, clients);
    Result credd;
    drive(credd_conns, request, 0.2, credd);  // warm-up, and the answer the other sides copy
    // Side 0 is credd; then the bare server and the floor, or AGAINST.
    std::vector<Side> sides;
    sides.push_back({"credd", pid, std::move(credd_conns), {}});
    std::optional<bench::AnswerServer> bare;
    std::optional<bench::AnswerServer> floor_server;
    if (against.empty()) {
        bare.emplace(socket + ".bare", bench::copying_responder(credd.first_answer));
        floor_server.emplace(socket + ".floor",
                             bench::floor_responder(credd.first_answer, socket + ".floor-audit.jsonl"));
        sides.push_back({"bare", bare->pid(), open_all(bare->path(), clients), {}});
        sides.push_back({"floor", floor_server->pid(), open_all(floor_server->path(), clients), {}});
    } else {
        sides.push_back({"against", against_pid, open_all(against, clients), {}});
    }
    for (auto& side : sides) drive(side.conns, request, 0.2, side.result);  // warm-up
    for (auto& side : sides) side.result = Result{};
    for (int r = 0; r < rounds; ++r) {
        for (auto& side : sides) {
            const double cpu = process_cpu_s(side.pid);
            drive(side.conns, request, seconds / rounds, side.result);
            if (pid > 0) side.result.server_cpu_s += process_cpu_s(side.pid) - cpu;
        }
    }
    for (auto& side : sides) {
        for (auto& c : side.conns) ::close(c.fd);
    }
    report(sides, clients, rounds, seconds, credd.first_answer.size());
    return 0;
}
