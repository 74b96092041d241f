#include "cli/client/daemon_locator.hpp"

#include "common/config/local_user.hpp"
#include "common/net/unix_socket.hpp"

#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

namespace credctl::cli {
namespace {

bool is_socket(const std::string& path) {
    struct stat st {};
    return ::stat(path.c_str(), &st) == 0 && S_ISSOCK(st.st_mode);
}

std::string octal(mode_t mode) {
    char buf[8];
    std::snprintf(buf, sizeof buf, "%04o", static_cast<unsigned>(mode & 07777));
    return buf;
}

// $XDG_RUNTIME_DIR is normally the user's own (pam_systemd makes it theirs
// and 0700), and so is everything below it. Without it the per-user socket
// is the /tmp fallback of config::default_user_socket(); and a container or
// an `su` may point it at /tmp or at another user's directory. Then the
// socket's directory is checked as the fallback's is.
bool per_user_socket_in_shared_dir() {
    const char* run = std::getenv("XDG_RUNTIME_DIR");
    if (run == nullptr || run[0] != '/') return true;
    struct stat st {};
    return ::lstat(run, &st) != 0 || !S_ISDIR(st.st_mode) || st.st_uid != ::getuid() || (st.st_mode & 022) != 0;
}

}  // namespace

std::optional<std::string> shared_dir_socket_problem(const std::string& socket, uid_t uid) {
    const std::string dir = socket.substr(0, socket.find_last_of('/'));
    struct stat st {};
    if (::lstat(dir.c_str(), &st) != 0) {
        if (errno == ENOENT) return std::nullopt;
        return dir + ": " + std::strerror(errno);
    }
    if (S_ISLNK(st.st_mode)) return dir + " is a symlink";
    if (!S_ISDIR(st.st_mode)) return dir + " is not a directory";
    if (st.st_uid != uid) {
        return dir + " belongs to uid " + std::to_string(st.st_uid) + ", not to you (uid " + std::to_string(uid) + ")";
    }
    if ((st.st_mode & 07777) != 0700) return dir + " has mode " + octal(st.st_mode) + ", not 0700";
    if (::lstat(socket.c_str(), &st) == 0 && S_ISLNK(st.st_mode)) return socket + " is a symlink";
    return std::nullopt;
}

DaemonLocation locate_daemon(const LocateInputs& in) {
    if (!in.socket_option.empty()) return {in.socket_option, "--socket", {}};
    if (const char* env = std::getenv("CREDD_SOCKET"); env != nullptr && env[0] != '\0') {
        return {env, "CREDD_SOCKET", {}};
    }
    if (!in.config_socket.empty()) return {in.config_socket, "client config", {}};
    const std::string user_socket = config::default_user_socket();
    if (per_user_socket_in_shared_dir()) {
        if (auto problem = shared_dir_socket_problem(user_socket, ::getuid())) {
            return {k_system_socket,
                    "system",
                    {"ignoring the per-user socket " + user_socket + ": " + *problem +
                     "; someone else may have created it. Trying " + k_system_socket}};
        }
    }
    if (is_socket(user_socket) && net::unix_socket_answers(user_socket)) return {user_socket, "per-user", {}};
    if (is_socket(k_system_socket)) return {k_system_socket, "system", {}};
    return {user_socket, "per-user", {}};
}

std::string how_to_start_credd() {
    return "Start a daemon, then try again:\n"
           "  per-user:  systemctl --user enable --now credd.socket   (or run: credd --user &)\n"
           "  system:    sudo systemctl enable --now credd.socket\n"
           "Or point credctl at a running daemon with --socket PATH or CREDD_SOCKET=PATH.";
}

Result<void> check_daemon_peer(int fd, const std::string& socket) {
    struct ucred cred {};
    socklen_t len = sizeof cred;
    if (::getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0) {
        return make_error(Errc::daemon_unreachable, "cannot identify the daemon at " + socket);
    }
    if (cred.uid == 0 || cred.uid == ::getuid() || config::user_uid(k_daemon_user) == cred.uid) return {};
    const auto name = config::user_name(cred.uid);
    return make_error(Errc::daemon_unreachable, "refusing to talk to " + socket + ": it is served by uid " +
                                                    std::to_string(cred.uid) + " (" + name.value_or("no name") +
                                                    "), not by root, you or the " + k_daemon_user +
                                                    " user; someone else may have taken the socket's place");
}

}  // namespace credctl::cli
