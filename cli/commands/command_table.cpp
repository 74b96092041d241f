// The command table main registers, how main runs a command, and its --help footer. Apart from the shared helpers
// (commands.cpp), so that a program or test that uses those does not link
// every command.
#include "cli/commands/command.hpp"

#include <exception>
#include <string>
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

Result<void> run_guarded(const Runner& runner) {
    try {
        return runner();
    } catch (const std::exception& e) {
        return make_error(Errc::internal,
                          std::string("internal error (a bug in credctl): unexpected exception: ") + e.what());
    } catch (...) {
        return make_error(Errc::internal, "internal error (a bug in credctl): unexpected exception");
    }
}

std::string exit_status_help() {
    std::string out = "Exit status (error code in docs/api.md):\n  0  success\n";
    for (Errc code : {Errc::internal, Errc::store_full, Errc::bad_request, Errc::usage, Errc::payload_too_large,
                      Errc::forbidden, Errc::login_required, Errc::provider_unavailable, Errc::too_many_requests,
                      Errc::daemon_unreachable, Errc::not_found}) {
        out += "  " + std::to_string(exit_code(code)) + "  " + std::string(to_string(code)) + "\n";
    }
    return out;
}

}  // namespace credctl::cli
