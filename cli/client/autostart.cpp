#include "cli/client/autostart.hpp"

#include "common/net/unix_socket.hpp"

#include <fcntl.h>
#include <grp.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace credctl::cli {
namespace {

constexpr auto k_start_timeout = std::chrono::seconds(5);  // LMDB open and key load take milliseconds
constexpr auto k_poll_interval = std::chrono::milliseconds(20);

// The group of `gid` is the caller's own: its primary group, listing no
// member (the private group of Debian's USERGROUPS_ENAB, with umask 002).
bool private_group(gid_t gid) {
    if (gid != ::getgid()) return false;
    const long size = ::sysconf(_SC_GETGR_R_SIZE_MAX);
    std::vector<char> buf(size > 0 ? static_cast<std::size_t>(size) : 16384);
    struct group gr {};
    struct group* found = nullptr;
    return ::getgrgid_r(gid, &gr, buf.data(), buf.size(), &found) == 0 && found != nullptr &&
           (found->gr_mem == nullptr || found->gr_mem[0] == nullptr);
}

// Root's or the caller's, and no one else may write it: not others, nor a
// group but root's or the caller's private one.
bool owned_and_closed(const struct stat& st) {
    if (st.st_uid != 0 && st.st_uid != ::getuid()) return false;
    if ((st.st_mode & S_IWOTH) != 0) return false;
    return (st.st_mode & S_IWGRP) == 0 || st.st_gid == 0 || private_group(st.st_gid);
}

// The file `candidate` names, links resolved, if another user could not
// have put it or replaced it: a regular executable file and its directory
// both owned_and_closed(). A credd planted in a directory of $PATH that
// others may write would run as the caller.
struct Checked {
    std::string path;
    dev_t dev = 0;
    ino_t ino = 0;
};
std::optional<Checked> checked(const std::string& candidate) {
    const std::unique_ptr<char, decltype(&std::free)> real(::realpath(candidate.c_str(), nullptr), &std::free);
    if (!real) return std::nullopt;
    const std::string path(real.get());
    struct stat file {};
    struct stat dir {};
    if (::stat(path.c_str(), &file) != 0 || !S_ISREG(file.st_mode) || ::access(path.c_str(), X_OK) != 0) {
        return std::nullopt;
    }
    if (::stat(path.substr(0, path.rfind('/') + 1).c_str(), &dir) != 0) return std::nullopt;
    if (!owned_and_closed(file) || !owned_and_closed(dir)) return std::nullopt;
    return Checked{path, file.st_dev, file.st_ino};
}

std::optional<Checked> find_credd() {
    std::vector<std::string> dirs;
    if (const char* path = std::getenv("PATH"); path != nullptr) {
        // Split by hand: credctl's plain lines have no C++ streams (cli/front.cpp).
        for (std::string_view rest = path; !rest.empty();) {
            const std::size_t colon = std::min(rest.find(':'), rest.size());
            if (const std::string_view d = rest.substr(0, colon); !d.empty() && d[0] == '/') dirs.emplace_back(d);
            rest.remove_prefix(std::min(colon + 1, rest.size()));
        }
    }
    dirs.insert(dirs.end(), {"/usr/sbin", "/usr/local/sbin"});
    for (const auto& d : dirs) {
        if (auto found = checked(d + "/credd")) return found;
    }
    return std::nullopt;
}

// Double fork: credd is re-parented away from credctl, in a new session,
// with /dev/null for standard streams, so the shell neither waits for it nor
// hands it its terminal.
void spawn_detached(const Checked& credd) {
    const pid_t child = ::fork();
    if (child < 0) return;
    if (child > 0) {
        int status = 0;
        ::waitpid(child, &status, 0);
        return;
    }
    ::setsid();
    if (::fork() != 0) ::_exit(0);
    if (::chdir("/") != 0) ::_exit(127);
    const int null = ::open("/dev/null", O_RDWR);
    for (int fd = 0; fd <= 2; ++fd) ::dup2(null, fd);
    // The file checked, not whatever its path names by now: opened, and run
    // through the descriptor only if it is the same inode.
    const int fd = ::open(credd.path.c_str(), O_PATH | O_CLOEXEC);
    struct stat st {};
    if (fd < 0 || ::fstat(fd, &st) != 0 || st.st_dev != credd.dev || st.st_ino != credd.ino) ::_exit(127);
    char arg0[] = "credd";
    char arg1[] = "--user";
    char* const args[] = {arg0, arg1, nullptr};
    ::execveat(fd, "", args, environ, AT_EMPTY_PATH);
    ::_exit(127);
}

}  // namespace

Result<void> ensure_user_daemon(const std::string& socket) {
    if (net::unix_socket_answers(socket)) return {};
    const auto credd = find_credd();
    if (!credd) {
        return make_error(Errc::daemon_unreachable,
                          "autostart: no credd in $PATH, /usr/sbin or /usr/local/sbin that only root or you "
                          "may write, to start on " +
                              socket);
    }
    spawn_detached(*credd);
    const auto deadline = std::chrono::steady_clock::now() + k_start_timeout;
    while (std::chrono::steady_clock::now() < deadline) {
        if (net::unix_socket_answers(socket)) return {};
        std::this_thread::sleep_for(k_poll_interval);
    }
    return make_error(Errc::daemon_unreachable, "autostart: started " + credd->path +
                                                    " --user, but nothing answers on " + socket +
                                                    " after 5 s; run it by hand to see why");
}

}  // namespace credctl::cli
