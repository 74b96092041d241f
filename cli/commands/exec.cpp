// credctl exec PROVIDER -- CMD...: run a command with a fresh access token in
// an environment variable, the way `aws-vault exec` or `op run` do. credctl
// replaces itself with the command, so the command's exit status is the
// status of `credctl exec`.
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
    // stdio: this may run before the C++ streams exist (cli/main.cpp).
    std::fprintf(stderr, "credctl: cannot run %s: %s\n", o.command[0].c_str(), std::strerror(err));
    std::exit(err == ENOENT ? k_exit_not_found : k_exit_cannot_run);
}

void add_exec_options(CLI::App& sub, ExecOptions& o) {
    sub.add_option("provider", o.provider, "Provider name")->required();
    sub.add_option("command", o.command, "The command and its arguments, after --")->required();
    sub.add_option("--user", o.user, "Whose credential (default: yours, as credd names your uid)");
    add_token_ask_options(sub, o.ask);
    sub.add_option("--env", o.env_name, "Variable that holds the token (default CREDCTL_ACCESS_TOKEN)")
        ->check(env_name_problem);
}

void add_exec(CLI::App& sub, const Globals& g, Runner& runner) {
    auto o = std::make_shared<ExecOptions>();
    add_exec_options(sub, *o);
    sub.footer(
        "The command's exit status is credctl's; 126 or 127 when it cannot run (as env(1)).\n"
        "Examples:\n"
        "  credctl exec github --env GITHUB_TOKEN -- gh api /user\n"
        "  credctl exec --user alice corp --env TOKEN -- \\\n"
        "    sh -c 'printf \"Authorization: Bearer %s\\n\" \"$TOKEN\" | curl -H @- https://api.example.com/'\n"
        "Never put the token in a command's arguments (curl -H \"...$TOKEN\"): every local user can read\n"
        "them in /proc; printf is a shell builtin, and curl -H @- reads the header from stdin.");
    runner = [&g, o] {
        ExecOptions given = *o;
        take_command_as_given(g.argv, given.command);
        return run_exec(g, given);
    };
}

}  // namespace credctl::cli
