#include "daemon/peer/peer.hpp"

#include "common/config/local_user.hpp"
#include "daemon/peer/cgroup.hpp"
#include "daemon/peer/proc_stat.hpp"

#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <cstring>

#ifndef SO_PEERPIDFD
#define SO_PEERPIDFD 77  // Linux 6.5
#endif

namespace credctl::peer {
namespace {

class Fd {
public:
    explicit Fd(int fd = -1) : fd_(fd) {}
    Fd(const Fd&) = delete;
    Fd& operator=(const Fd&) = delete;
    ~Fd() {
        if (fd_ >= 0) ::close(fd_);
    }
    [[nodiscard]] int get() const { return fd_; }

private:
    int fd_;
};

std::string proc_path(pid_t pid, const char* file) {
    return "/proc/" + std::to_string(pid) + "/" + file;
}

// The whole of a small /proc file, with plain read(2)s (no stream, no
// locale: this runs for every connection). std::nullopt when it cannot be
// read or is over k_proc_file_limit, which no stat or cgroup file of a real
// process reaches. Only for files the kernel writes as one record
// (single_open(): /proc/PID/stat and /proc/PID/cgroup), whose first read
// returns all of the record that fits: a read shorter than asked is the end,
// and the read(2) that would return 0 is not made.
constexpr std::size_t k_proc_file_limit = 64 * 1024;
std::optional<std::string> read_proc_record(const std::string& path) {
    const Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (fd.get() < 0) return std::nullopt;
    std::string text;
    std::array<char, 4096> chunk{};
    for (;;) {
        const ssize_t n = ::read(fd.get(), chunk.data(), chunk.size());
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return std::nullopt;
        if (text.size() + static_cast<std::size_t>(n) > k_proc_file_limit) return std::nullopt;
        text.append(chunk.data(), static_cast<std::size_t>(n));
        if (static_cast<std::size_t>(n) < chunk.size()) return text;
    }
}

// The process's start time (daemon/peer/proc_stat.hpp).
std::optional<std::string> start_time(pid_t pid) {
    const auto stat = read_proc_record(proc_path(pid, "stat"));
    if (!stat) return std::nullopt;
    return start_time_from_stat(*stat);
}

std::vector<gid_t> peer_groups(int socket_fd) {
    std::vector<gid_t> groups(64);
    socklen_t len = static_cast<socklen_t>(groups.size() * sizeof(gid_t));
    if (::getsockopt(socket_fd, SOL_SOCKET, SO_PEERGROUPS, groups.data(), &len) != 0) {
        if (errno != ERANGE) return {};
        groups.resize(len / sizeof(gid_t));
        if (::getsockopt(socket_fd, SOL_SOCKET, SO_PEERGROUPS, groups.data(), &len) != 0) return {};
    }
    groups.resize(len / sizeof(gid_t));
    return groups;
}

std::optional<std::string> exe_link(pid_t pid) {
    std::array<char, 4096> buf{};
    const ssize_t n = ::readlink(proc_path(pid, "exe").c_str(), buf.data(), buf.size() - 1);
    if (n <= 0) return std::nullopt;
    std::string path(buf.data(), static_cast<std::size_t>(n));
    // A deleted or replaced binary has no path that names it any more.
    if (path.front() != '/' || path.ends_with(" (deleted)")) return std::nullopt;
    return path;
}

struct ProcFacts {
    std::optional<std::string> exe;
    std::shared_ptr<const OpenExe> exe_file;
    std::optional<std::string> unit;
};

// Only cheap reads: the executable is opened, not hashed.
ProcFacts read_proc(pid_t pid, bool keep_exe) {
    ProcFacts facts;
    facts.exe = exe_link(pid);
    if (keep_exe) {
        const int exe = ::open(proc_path(pid, "exe").c_str(), O_RDONLY | O_CLOEXEC);
        if (exe >= 0) facts.exe_file = std::make_shared<const OpenExe>(exe);
    }
    if (auto cgroup = read_proc_record(proc_path(pid, "cgroup"))) facts.unit = unit_from_cgroup(*cgroup);
    return facts;
}

// Whether this kernel answers SO_PEERPIDFD, once a connection has shown it:
// until then, and where it does not, peer_credentials() reads the start time.
enum class PidfdSupport : int { unknown, yes, no };
std::atomic<PidfdSupport> g_pidfd_support{PidfdSupport::unknown};

}  // namespace

// Only ENOPROTOOPT is a kernel that does not know the option. Linux 6.5 to
// 6.17 answer EINVAL when the peer has already exited (pidfd_prepare() on a
// pid without a task); ESRCH and ENODATA (no peer pid recorded) also mean no
// live caller. Taking those for "unsupported" would fall back to the weaker
// start-time check exactly when the pid may have been reused. Any other
// failure leaves the caller unverifiable too, which denies.
bool pidfd_unsupported(int getsockopt_errno) {
    return getsockopt_errno == ENOPROTOOPT;
}

// A pidfd polls readable once its process has exited (Linux 5.3). poll(2)
// needs no permission over the process, unlike a signal 0, whose EPERM is
// also what a seccomp filter or a Landlock scope answers: taken for "alive",
// that made every caller verified wherever the call was filtered.
bool pidfd_alive(int pidfd) {
    pollfd p{pidfd, POLLIN, 0};
    int n = 0;
    while ((n = ::poll(&p, 1, 0)) < 0 && errno == EINTR) {
    }
    return n == 0;
}

bool PeerIdentity::in_group(gid_t g) const {
    return gid == g || std::find(groups.begin(), groups.end(), g) != groups.end();
}

std::string_view to_string(Liveness l) {
    return l == Liveness::pidfd ? "pidfd" : "start time";
}

Result<PeerCredentials> peer_credentials(int socket_fd, Liveness check) {
    struct ucred cred {};
    socklen_t len = sizeof cred;
    if (::getsockopt(socket_fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0 || len != sizeof cred) {
        return make_error(Errc::internal, std::string("cannot read peer credentials: ") + std::strerror(errno));
    }
    PeerCredentials out{cred.pid, cred.uid, cred.gid, std::nullopt, false};
    if (check == Liveness::start_time || g_pidfd_support.load(std::memory_order_relaxed) != PidfdSupport::yes) {
        out.started = start_time(cred.pid);
        out.start_time_read = true;
    }
    return out;
}

Result<PeerIdentity> identify(int socket_fd, bool keep_exe, UserNames* names, Liveness check) {
    const auto cred = peer_credentials(socket_fd, check);
    if (!cred) return cred.error();
    return identify(socket_fd, *cred, keep_exe, names, check);
}

PeerIdentity identify(int socket_fd, const PeerCredentials& cred, bool keep_exe, UserNames* names, Liveness check) {
    PeerIdentity id;
    id.pid = cred.pid;
    id.uid = cred.uid;
    id.gid = cred.gid;
    id.groups = peer_groups(socket_fd);
    id.user = names != nullptr ? names->name(cred.uid) : config::user_name(cred.uid);

    int raw_pidfd = -1;
    socklen_t len = sizeof raw_pidfd;
    const bool have_pidfd =
        check == Liveness::pidfd && ::getsockopt(socket_fd, SOL_SOCKET, SO_PEERPIDFD, &raw_pidfd, &len) == 0;
    const int pidfd_errno = check == Liveness::pidfd ? errno : ENOPROTOOPT;
    const Fd pidfd(have_pidfd ? raw_pidfd : -1);
    const bool no_pidfd_support = !have_pidfd && pidfd_unsupported(pidfd_errno);
    id.liveness = no_pidfd_support ? Liveness::start_time : Liveness::pidfd;
    if (check == Liveness::pidfd) {
        g_pidfd_support.store(no_pidfd_support ? PidfdSupport::no : PidfdSupport::yes, std::memory_order_relaxed);
    }

    // Taken at accept, where a caller already gone left none (unverified).
    // Read now only on a kernel just found to lack the option.
    const auto started_before = !no_pidfd_support      ? std::nullopt
                                : cred.start_time_read ? cred.started
                                                       : start_time(id.pid);
    ProcFacts facts = read_proc(id.pid, keep_exe);
    // The check comes after the reads: a live pidfd proves that the pid was
    // not reused while they were made (a dead one, that it may have been).
    if (no_pidfd_support) {
        id.verified = started_before && start_time(id.pid) == started_before;
    } else {
        id.verified = have_pidfd && pidfd_alive(pidfd.get());
    }
    if (id.verified) {
        id.exe = std::move(facts.exe);
        id.exe_file = std::move(facts.exe_file);
        id.unit = std::move(facts.unit);
    }
    return id;
}

PeerIdentity hypothetical(uid_t uid, std::optional<std::string> exe, std::optional<std::string> unit,
                          ExeHashCache& hashes) {
    PeerIdentity id;
    id.pid = 0;
    id.uid = uid;
    if (auto user = config::local_user(uid)) {
        id.user = user->name;
        id.gid = user->gid;
        int n = 64;
        std::vector<gid_t> groups(static_cast<std::size_t>(n));
        if (::getgrouplist(user->name.c_str(), user->gid, groups.data(), &n) < 0) {
            groups.resize(static_cast<std::size_t>(n));
            ::getgrouplist(user->name.c_str(), user->gid, groups.data(), &n);
        }
        groups.resize(static_cast<std::size_t>(std::max(n, 0)));
        id.groups = std::move(groups);
    }
    if (exe) {
        // The path comes from an administrator's request, not from a process:
        // a FIFO would block open(2) and a device would never end, so only a
        // regular file, not through a final symlink, is hashed.
        const Fd fd(::open(exe->c_str(), O_RDONLY | O_NONBLOCK | O_NOFOLLOW | O_CLOEXEC));
        struct stat st {};
        if (fd.get() >= 0 && ::fstat(fd.get(), &st) == 0 && S_ISREG(st.st_mode)) {
            id.exe_sha256 = hashes.digest(fd.get());
        }
    }
    id.exe = std::move(exe);
    id.unit = std::move(unit);
    return id;
}

}  // namespace credctl::peer
