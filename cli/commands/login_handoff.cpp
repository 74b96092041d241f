// `credctl login` as credctl runs it: the options are checked here, then the
// command line, unchanged, is run by credctl-login, the program that holds
// the login flow and the TLS client (login.cpp). credctl is started once per
// token by scripts, git and kubectl, and OpenSSL's tables alone were half of
// the pages it relocated at each start (docs/benchmarks.md, "credctl
// start-up"); the provider's answers are parsed only in the program that
// asks for them.
//
// credctl-login is found relative to credctl's own file (/proc/self/exe),
// never through $PATH or the environment. CREDCTL_LOGIN_HELPER is its path
// relative to credctl's folder, the same in the build tree as installed
// (cli/CMakeLists.txt).
#include "cli/commands/command.hpp"
#include "cli/commands/login_options.hpp"

#include <unistd.h>

#include <array>
#include <cerrno>
#include <climits>
#include <cstring>
#include <memory>

namespace credctl::cli {
namespace {

// Never a path relative to the working directory, which another user may own.
Result<std::string> login_helper() {
    std::array<char, PATH_MAX> self{};
    const ssize_t n = ::readlink("/proc/self/exe", self.data(), self.size() - 1);
    if (n <= 0 || self[0] != '/') {
        return make_error(Errc::internal,
                          "cannot find credctl-login, which runs credctl login: /proc/self/exe "
                          "does not name this program (is /proc mounted?)");
    }
    const std::string_view path(self.data(), static_cast<std::size_t>(n));
    return std::string(path.substr(0, path.rfind('/') + 1)) + CREDCTL_LOGIN_HELPER;
}

Result<void> hand_off(char** argv) {
    const auto found = login_helper();
    if (!found) return found.error();
    const std::string& helper = *found;
    ::execv(helper.c_str(), argv);
    const int err = errno;
    return make_error(Errc::internal, "cannot run " + helper + ", which runs credctl login: " + std::strerror(err) +
                                          " (is credctl installed whole?)");
}

}  // namespace

void add_login(CLI::App& sub, const Globals& g, Runner& runner) {
    // Parsed only to be checked; CLI11 writes into `o` while it parses, so
    // the runner keeps it alive.
    auto o = std::make_shared<LoginOptions>();
    add_login_options(sub, *o);
    runner = [&g, o] { return hand_off(g.argv); };
}

}  // namespace credctl::cli
