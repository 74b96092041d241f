// credctl exec PROVIDER -- CMD...: run a command with a fresh access token in
// an environment variable, the way `aws-vault exec` or `op run` do. credctl
// replaces itself with the command, so the command's exit status is the
// status of `credctl exec`. Served in credctl itself for a plain line
// (cli/front.cpp), so no CLI11 here: the options are exec.cpp's.
#include "cli/commands/token_options.hpp"
#include "cli/output/token_format.hpp"
#include "common/wire/wire.hpp"

#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

namespace credctl::cli {
namespace {

// Like env(1): 126 when the command cannot run, 127 when it is not found.
constexpr int k_exit_cannot_run = 126;
constexpr int k_exit_not_found = 127;

}  // namespace

Result<void> run_exec(const Globals& g, const ExecOptions& o) {
    if (o.command.empty()) return make_error(Errc::usage, "no command given after --");
    // No --user: credd names the caller (wire::k_caller_user).
    const std::string user = o.user.empty() ? std::string(wire::k_caller_user) : o.user;
    auto token = fetch_access_token(g, user, o.provider, o.ask);
    if (!token) return token.error();
    if (::setenv(o.env_name.c_str(), SecretString(token->access_token.reveal()).c_str(), 1) != 0 ||
        ::setenv("CREDCTL_EXPIRES_AT", std::to_string(token->expires_at).c_str(), 1) != 0) {
        return make_error(Errc::internal, "cannot set " + o.env_name + ": " + std::strerror(errno));
    }
    std::vector<char*> argv;
    for (const auto& a : o.command) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    ::execvp(argv[0], argv.data());
    const int err = errno;
    // stdio: this may run before the C++ streams exist (cli/front.cpp).
    std::fprintf(stderr, "credctl: cannot run %s: %s\n", o.command[0].c_str(), std::strerror(err));
    std::exit(err == ENOENT ? k_exit_not_found : k_exit_cannot_run);
}

}  // namespace credctl::cli
