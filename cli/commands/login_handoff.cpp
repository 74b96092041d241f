// `credctl login` as credctl runs it: the options are checked here, then the
// command line, unchanged, is run by credctl-login, the program that holds
// the login flow and the TLS client (login.cpp). credctl is started once per
// token by scripts, git and kubectl, and OpenSSL's tables alone were half of
// the pages it relocated at each start (docs/benchmarks.md, "credctl
// start-up"); the provider's answers are parsed only in the program that
// asks for them.
//
// credctl-login is found relative to credctl's own file (login_helper.hpp).
#include "cli/commands/command.hpp"
#include "cli/commands/login_helper.hpp"
#include "cli/commands/login_options.hpp"

#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>

namespace credctl::cli {
namespace {

Result<void> hand_off(char** argv) {
    const auto found = login_helper_path();
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
