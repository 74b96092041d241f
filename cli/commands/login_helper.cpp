#include "cli/commands/login_helper.hpp"

#include <unistd.h>

#include <array>
#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string_view>

namespace credctl::cli {

Result<std::string> login_helper_path() {
    std::array<char, PATH_MAX> self{};
    const ssize_t n = ::readlink("/proc/self/exe", self.data(), self.size());
    // A path that fills the buffer may have been cut short: its folder would
    // be another one.
    if (n <= 0 || static_cast<std::size_t>(n) >= self.size() || self[0] != '/') {
        return make_error(Errc::internal,
                          "cannot find credctl-login, which runs credctl login: /proc/self/exe "
                          "does not name this program (is /proc mounted?)");
    }
    const std::string_view path(self.data(), static_cast<std::size_t>(n));
    const std::string_view folder = path.substr(0, path.rfind('/') + 1);
    if (path.substr(folder.size()) == "credctl-login") return std::string(path);
    return std::string(folder) + CREDCTL_LOGIN_HELPER;
}

Result<std::string> login_helper_exe() {
    auto path = login_helper_path();
    if (!path) return path.error();
    const std::unique_ptr<char, decltype(&std::free)> real(::realpath(path->c_str(), nullptr), &std::free);
    if (!real) {
        return make_error(Errc::not_found, "cannot find credctl-login (" + *path + "): " + std::strerror(errno));
    }
    return std::string(real.get());
}

}  // namespace credctl::cli
