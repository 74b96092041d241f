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
namespace {

// This program's own file, as /proc/self/exe names it; `needed_by` says
// what looks for it, for the error.
Result<std::string> own_file(std::string_view needed_by) {
    std::array<char, PATH_MAX> self{};
    const ssize_t n = ::readlink("/proc/self/exe", self.data(), self.size());
    // A path that fills the buffer may have been cut short: its folder would
    // be another one.
    if (n <= 0 || static_cast<std::size_t>(n) >= self.size() || self[0] != '/') {
        return make_error(Errc::internal, "cannot find " + std::string(needed_by) +
                                              ": /proc/self/exe does not name this program (is /proc mounted?)");
    }
    return std::string(self.data(), static_cast<std::size_t>(n));
}

std::string_view folder_of(std::string_view path) {
    return path.substr(0, path.rfind('/') + 1);
}

}  // namespace

Result<std::string> login_helper_path() {
    auto path = own_file("credctl-login, which runs credctl login");
    if (!path) return path.error();
    const std::string_view folder = folder_of(*path);
    if (std::string_view(*path).substr(folder.size()) == "credctl-login") return path;
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

Result<std::string> commands_module_path() {
    auto path = own_file("credctl's commands module");
    if (!path) return path.error();
    return std::string(folder_of(*path)) + CREDCTL_COMMANDS_MODULE;
}

}  // namespace credctl::cli
