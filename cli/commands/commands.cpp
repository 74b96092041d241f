#include "cli/commands/command.hpp"

#include "cli/client/daemon_locator.hpp"

#include "common/config/local_user.hpp"
#include "common/config/toml_fields.hpp"

#include <unistd.h>

#include <cstdlib>
#include <vector>

namespace credctl::cli {
namespace {

// Client config (credctl.toml(5), CLIENT CONFIGURATION): only `socket`.
Result<std::string> socket_from_config(const std::string& path) {
    auto parsed = config::parse_toml_file(path);
    if (!parsed) return parsed.error();
    config::Fields f(*parsed, path.substr(path.find_last_of('/') + 1), "");
    if (auto r = f.only({"socket"}); !r) return r.error();
    auto s = f.path("socket");
    if (!s) return s.error();
    return s->value_or("");
}

std::string default_client_config() {
    const char* xdg = std::getenv("XDG_CONFIG_HOME");
    const char* home = std::getenv("HOME");
    if (xdg != nullptr && xdg[0] == '/') return std::string(xdg) + "/credctl/credctl.toml";
    return std::string(home != nullptr ? home : "") + "/.config/credctl/credctl.toml";
}

}  // namespace

Result<DaemonClient> make_client(const Globals& g) {
    LocateInputs in{g.socket, {}};
    const bool env_set = std::getenv("CREDD_SOCKET") != nullptr && std::getenv("CREDD_SOCKET")[0] != '\0';
    const std::string cfg = g.config_file.empty() ? default_client_config() : g.config_file;
    if (g.socket.empty() && !env_set && (!g.config_file.empty() || ::access(cfg.c_str(), F_OK) == 0)) {
        auto s = socket_from_config(cfg);
        if (!s) return s.error();
        in.config_socket = *s;
    }
    return DaemonClient(locate_daemon(in).socket);
}

Result<std::string> current_user() {
    auto name = config::user_name(::getuid());
    if (!name) return make_error(Errc::usage, "uid " + std::to_string(::getuid()) + " has no user name; pass --user");
    return *name;
}

std::string credential_path(const std::string& user, const std::string& provider) {
    return "/v1/users/" + user + "/credentials/" + provider;
}

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
        {"policy", "Explain policy decisions (policy check)", add_policy},
    };
    return table;
}

}  // namespace credctl::cli
