// credctl exec's options and help for CLI11; the command itself is
// exec_run.cpp's.
#include "cli/commands/command.hpp"
#include "cli/commands/token_options.hpp"
#include "cli/output/token_format.hpp"

#include <memory>

namespace credctl::cli {

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
