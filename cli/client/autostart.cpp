#include "cli/client/autostart.hpp"

#include "common/net/unix_socket.hpp"

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <sstream>
#include <thread>
#include <vector>

namespace credctl::cli {
namespace {

constexpr auto k_start_timeout = std::chrono::seconds(5);  // LMDB open and key load take milliseconds
constexpr auto k_poll_interval = std::chrono::milliseconds(20);

// Whether `path` is root's or the caller's, and no one else may write it.
bool owned_and_closed(const std::string& path) {
    struct stat st {};
    return ::stat(path.c_str(), &st) == 0 && (st.st_uid == 0 || st.st_uid == ::getuid()) &&
           (st.st_mode & (S_IWGRP | S_IWOTH)) == 0;
}

// A credd another user could have put or replaced (in a directory of $PATH
// that others may write, or a file of theirs) would run as the caller: such
// a candidate is passed over.
bool safe_to_run(const std::string& dir, const std::string& file) {
    struct stat st {};
    return ::stat(file.c_str(), &st) == 0 && S_ISREG(st.st_mode) && ::access(file.c_str(), X_OK) == 0 &&
           owned_and_closed(file) && owned_and_closed(dir);
}

std::optional<std::string> find_credd() {
    std::vector<std::string> dirs;
    if (const char* path = std::getenv("PATH"); path != nullptr) {
        std::stringstream ss(path);
        for (std::string d; std::getline(ss, d, ':');) {
            if (!d.empty() && d[0] == '/') dirs.push_back(d);
        }
    }
    dirs.insert(dirs.end(), {"/usr/sbin", "/usr/local/sbin"});
    for (const auto& d : dirs) {
        const std::string candidate = d + "/credd";
        if (safe_to_run(d, candidate)) return candidate;
    }
    return std::nullopt;
}

// Double fork: credd is re-parented away from credctl, in a new session,
// with /dev/null for standard streams, so the shell neither waits for it nor
// hands it its terminal.
void spawn_detached(const std::string& credd) {
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
    ::execl(credd.c_str(), "credd", "--user", static_cast<char*>(nullptr));
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
    return make_error(Errc::daemon_unreachable, "autostart: started " + *credd + " --user, but nothing answers on " +
                                                    socket + " after 5 s; run it by hand to see why");
}

}  // namespace credctl::cli
