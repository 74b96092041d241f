// The command table main registers. Apart from the shared helpers
// (commands.cpp), so that a program or test that uses those does not link
// every command.
#include "cli/commands/command.hpp"

#include <vector>

namespace credctl::cli {

const std::vector<CommandSpec>& command_table() {
    static const std::vector<CommandSpec> table{
        {"login", "Log in to a provider and hand the refresh token to credd", add_login},
        {"token", "Print an access token (refreshed by credd when needed)", add_token},
        {"exec", "Run a command with an access token in an environment variable", add_exec},
        {"list", "List stored credentials (never secrets)", add_list},
        {"logout", "Forget a stored credential", add_logout},
        {"status", "Show the daemon's status", add_status},
        {"providers", "List the providers credd knows", add_providers},
        {"whoami", "Show how credd sees this process and what it may do", add_whoami},
        {"metrics", "Print credd's metrics in the Prometheus text format (root, credd's user or a grant)", add_metrics},
        {"policy", "Explain policy decisions (policy check)", add_policy},
        {"admin", "Store administration: status, check, backup, rotate-key (root or credd's user)", add_admin},
    };
    return table;
}

}  // namespace credctl::cli
