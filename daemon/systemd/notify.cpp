#include "daemon/systemd/notify.hpp"

#include "common/log/log.hpp"

#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

namespace credctl::systemd {
namespace {

std::optional<unsigned long long> env_number(const char* name) {
    const char* v = std::getenv(name);
    if (v == nullptr || *v == '\0') return std::nullopt;
    char* end = nullptr;
    errno = 0;
    const unsigned long long n = std::strtoull(v, &end, 10);
    if (errno != 0 || *end != '\0') return std::nullopt;
    return n;
}

std::string monotonic_usec() {
    timespec ts{};
    ::clock_gettime(CLOCK_MONOTONIC, &ts);
    return std::to_string(static_cast<long long>(ts.tv_sec) * 1000000 + ts.tv_nsec / 1000);
}

}  // namespace

Notifier Notifier::from_environment() {
    Notifier n;
    const char* s = std::getenv("NOTIFY_SOCKET");
    if (s != nullptr && (s[0] == '/' || s[0] == '@') && std::strlen(s) < sizeof(sockaddr_un::sun_path)) n.socket_ = s;
    // sd_watchdog_enabled(3): the interval applies only to the PID it names.
    const auto usec = env_number("WATCHDOG_USEC");
    const auto pid = env_number("WATCHDOG_PID");
    if (usec && *usec > 0 && (!pid || *pid == static_cast<unsigned long long>(::getpid()))) {
        n.watchdog_period_ = std::chrono::microseconds(static_cast<long long>(*usec / 2));
    }
    return n;
}

Result<void> Notifier::send(std::string_view state) const {
    if (socket_.empty()) return {};
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::memcpy(addr.sun_path, socket_.data(), socket_.size());
    socklen_t len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + socket_.size());
    if (socket_[0] == '@') {
        addr.sun_path[0] = '\0';  // abstract namespace: no terminating NUL
    } else {
        len += 1;
    }
    const int fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return make_error(Errc::internal, std::string("cannot create a notify socket: ") + std::strerror(errno));
    const ssize_t n = ::sendto(fd, state.data(), state.size(), MSG_NOSIGNAL, reinterpret_cast<sockaddr*>(&addr), len);
    const int err = errno;
    ::close(fd);
    if (n != static_cast<ssize_t>(state.size())) {
        return make_error(Errc::internal, "cannot notify " + socket_ + ": " + std::strerror(err));
    }
    return {};
}

void Notifier::ready(std::string_view status) const {
    if (auto r = send("READY=1\nSTATUS=" + std::string(status)); !r) log::warning(r.error().message);
}

void Notifier::reloading() const {
    // systemd 253's Type=notify-reload wants MONOTONIC_USEC with RELOADING=1.
    if (auto r = send("RELOADING=1\nMONOTONIC_USEC=" + monotonic_usec()); !r) log::warning(r.error().message);
}

void Notifier::stopping() const {
    if (auto r = send("STOPPING=1"); !r) log::warning(r.error().message);
}

void Notifier::extend_stop(std::chrono::seconds by) const {
    const auto usec = std::chrono::duration_cast<std::chrono::microseconds>(by).count();
    if (auto r = send("EXTEND_TIMEOUT_USEC=" + std::to_string(usec)); !r) log::warning(r.error().message);
}

void Notifier::watchdog() const {
    if (auto r = send("WATCHDOG=1"); !r) log::warning(r.error().message);
}

}  // namespace credctl::systemd
