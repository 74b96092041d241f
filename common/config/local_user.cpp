#include "common/config/local_user.hpp"

#include <pwd.h>
#include <unistd.h>

#include <cstdlib>
#include <vector>

namespace credctl::config {
namespace {

std::optional<std::string> absolute_env(const char* name) {
    const char* v = std::getenv(name);
    if (v == nullptr || v[0] != '/') return std::nullopt;
    return std::string(v);
}

}  // namespace

std::optional<LocalUser> local_user(uid_t uid) {
    const long size = ::sysconf(_SC_GETPW_R_SIZE_MAX);
    std::vector<char> buf(size > 0 ? static_cast<std::size_t>(size) : 16384);
    struct passwd pw {};
    struct passwd* found = nullptr;
    if (::getpwuid_r(uid, &pw, buf.data(), buf.size(), &found) != 0 || found == nullptr) return std::nullopt;
    return LocalUser{found->pw_name, found->pw_gid};
}

std::optional<std::string> user_name(uid_t uid) {
    auto user = local_user(uid);
    if (!user) return std::nullopt;
    return std::move(user->name);
}

std::optional<uid_t> user_uid(const std::string& name) {
    const long size = ::sysconf(_SC_GETPW_R_SIZE_MAX);
    std::vector<char> buf(size > 0 ? static_cast<std::size_t>(size) : 16384);
    struct passwd pw {};
    struct passwd* found = nullptr;
    if (::getpwnam_r(name.c_str(), &pw, buf.data(), buf.size(), &found) != 0 || found == nullptr) return std::nullopt;
    return found->pw_uid;
}

std::string default_user_socket() {
    if (auto run = absolute_env("XDG_RUNTIME_DIR")) return *run + "/credd/credd.sock";
    return "/tmp/credd-" + std::to_string(::getuid()) + "/credd.sock";
}

std::string default_user_state_dir() {
    if (auto state = absolute_env("XDG_STATE_HOME")) return *state + "/credd";
    const auto home = absolute_env("HOME");
    return home.value_or("/") + "/.local/state/credd";
}

}  // namespace credctl::config
