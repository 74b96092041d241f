#include "cli/client/daemon_locator.hpp"

#include "common/config/local_user.hpp"

#include <pwd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <optional>
#include <vector>

namespace credctl::cli {
namespace {

bool is_socket(const std::string& path) {
    struct stat st {};
    return ::stat(path.c_str(), &st) == 0 && S_ISSOCK(st.st_mode);
}

std::optional<uid_t> uid_of(const char* name) {
    const long size = ::sysconf(_SC_GETPW_R_SIZE_MAX);
    std::vector<char> buf(size > 0 ? static_cast<std::size_t>(size) : 16384);
    struct passwd pw {};
    struct passwd* found = nullptr;
    if (::getpwnam_r(name, &pw, buf.data(), buf.size(), &found) != 0 || found == nullptr) return std::nullopt;
    return found->pw_uid;
}

}  // namespace

DaemonLocation locate_daemon(const LocateInputs& in) {
    if (!in.socket_option.empty()) return {in.socket_option, "--socket"};
    if (const char* env = std::getenv("CREDD_SOCKET"); env != nullptr && env[0] != '\0') return {env, "CREDD_SOCKET"};
    if (!in.config_socket.empty()) return {in.config_socket, "client config"};
    const std::string user_socket = config::default_user_socket();
    if (is_socket(user_socket)) return {user_socket, "per-user"};
    if (is_socket(k_system_socket)) return {k_system_socket, "system"};
    return {user_socket, "per-user"};
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
    if (cred.uid == 0 || cred.uid == ::getuid() || uid_of(k_daemon_user) == cred.uid) return {};
    const auto name = config::user_name(cred.uid);
    return make_error(Errc::daemon_unreachable, "refusing to send a secret to " + socket + ": it is served by uid " +
                                                    std::to_string(cred.uid) + " (" + name.value_or("no name") +
                                                    "), not by root, you or the " + k_daemon_user +
                                                    " user; someone else may have taken the socket's place");
}

}  // namespace credctl::cli
