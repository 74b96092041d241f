#include "daemon/systemd/activation.hpp"

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <string>

namespace credctl::systemd {
namespace {

std::optional<long> env_long(const char* name) {
    const char* v = std::getenv(name);
    if (v == nullptr || *v == '\0') return std::nullopt;
    char* end = nullptr;
    errno = 0;
    const long n = std::strtol(v, &end, 10);
    if (errno != 0 || *end != '\0') return -1;
    return n;
}

int socket_option(int fd, int option) {
    int value = 0;
    socklen_t len = sizeof value;
    if (::getsockopt(fd, SOL_SOCKET, option, &value, &len) != 0) return -1;
    return value;
}

}  // namespace

Result<std::optional<int>> take_listen_fd() {
    const auto pid = env_long("LISTEN_PID");
    const auto fds = env_long("LISTEN_FDS");
    ::unsetenv("LISTEN_PID");
    ::unsetenv("LISTEN_FDS");
    ::unsetenv("LISTEN_FDNAMES");
    // sd_listen_fds(3): fds meant for another process are not ours.
    if (!pid || !fds || *pid != static_cast<long>(::getpid())) return std::optional<int>();
    if (*fds != 1) {
        return make_error(Errc::internal, "socket activation passed " + std::to_string(*fds) +
                                              " descriptors; credd.socket must have exactly one ListenStream=");
    }
    const int fd = k_listen_fds_start;
    if (socket_option(fd, SO_DOMAIN) != AF_UNIX || socket_option(fd, SO_TYPE) != SOCK_STREAM ||
        socket_option(fd, SO_ACCEPTCONN) != 1) {
        return make_error(Errc::internal, "socket activation: fd 3 is not a listening Unix stream socket");
    }
    if (::fcntl(fd, F_SETFD, FD_CLOEXEC) != 0) {
        return make_error(Errc::internal, "socket activation: cannot set close-on-exec on fd 3");
    }
    return std::optional<int>(fd);
}

}  // namespace credctl::systemd
