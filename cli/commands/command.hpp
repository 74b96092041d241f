// The credctl subcommands: one file each, registered in one table
// (commands.cpp). A command adds its options to its CLI11 subcommand and
// leaves a runner that main calls after parsing.
//
// Runners return Result<void>; main turns an Error into a message on stderr
// and the exit status of credctl(1) EXIT STATUS.
#pragma once

#include "cli/client/daemon_client.hpp"
#include "common/config/provider.hpp"
#include "common/error/error.hpp"
#include "common/wire/wire.hpp"

#include <CLI/App.hpp>

#include <functional>
#include <string>
#include <string_view>

namespace credctl::cli {

struct Globals {
    std::string socket;       // --socket
    std::string config_file;  // --config
    bool verbose = false;
    char** argv = nullptr;  // the command line as given, for a command another program runs (login)
};

using Runner = std::function<Result<void>()>;

// Builds the client for the socket chosen by --socket, $CREDD_SOCKET, the
// client config or the per-user default.
[[nodiscard]] Result<DaemonClient> make_client(const Globals& globals);

// The caller's login name as credd knows it (GET /v1/whoami), the default
// `--user`: the name credd's policy and store use for the caller's uid,
// whatever this process's own /etc/passwd (a container's, say) calls it.
[[nodiscard]] Result<std::string> caller_name(const DaemonClient& client);

// What `token` and `exec` ask of GET .../token.
struct TokenAsk {
    int min_valid = -1;  // < 0: the daemon's default
    std::string scope;   // space-separated; non-empty asks for a down-scoped token
    double timeout = 0;  // seconds the caller waits for a refresh; 0: as long as it takes

    bool operator==(const TokenAsk&) const = default;
};

// GET .../token through the discovered daemon (token and exec share it).
// Given `named`, a `user` of wire::k_caller_user is first asked of credd
// (caller_name()) on the same connection setup, the token is asked by that
// name, and `named` receives it. Errors: the daemon's, as codes.
[[nodiscard]] Result<wire::AccessToken> fetch_access_token(const Globals& globals, const std::string& user,
                                                           const std::string& provider, const TokenAsk& ask,
                                                           std::string* named = nullptr);

// Adds --min-valid and --timeout, shared by `token` and `exec`.
void add_token_ask_options(CLI::App& sub, TokenAsk& ask);

// "/v1/users/alice/credentials/github"
[[nodiscard]] std::string credential_path(const std::string& user, const std::string& provider);

// The provider a command means: `name`, else credd's default provider, else
// its only one. Errors: not_found, usage (several and no default).
[[nodiscard]] Result<ProviderConfig> pick_provider(const DaemonClient& client, const std::string& name);
// The same, asked on an open connection (login asks and stores on one).
[[nodiscard]] Result<ProviderConfig> pick_provider(DaemonConnection& connection, const std::string& name);

// What `--version` prints: the version and what the program is linked
// against (cli/version.cpp, built into each program with its own linkage).
[[nodiscard]] std::string version_text();

// The EXIT STATUS table of credctl(1), for --help.
[[nodiscard]] std::string exit_status_help();

struct CommandSpec {
    std::string_view name;
    std::string_view summary;
    void (*add)(CLI::App& sub, const Globals& globals, Runner& runner);
};

void add_login(CLI::App& sub, const Globals& globals, Runner& runner);
void add_token(CLI::App& sub, const Globals& globals, Runner& runner);
void add_list(CLI::App& sub, const Globals& globals, Runner& runner);
void add_logout(CLI::App& sub, const Globals& globals, Runner& runner);
void add_status(CLI::App& sub, const Globals& globals, Runner& runner);
void add_providers(CLI::App& sub, const Globals& globals, Runner& runner);
void add_exec(CLI::App& sub, const Globals& globals, Runner& runner);
void add_whoami(CLI::App& sub, const Globals& globals, Runner& runner);
void add_metrics(CLI::App& sub, const Globals& globals, Runner& runner);
void add_policy(CLI::App& sub, const Globals& globals, Runner& runner);
void add_admin(CLI::App& sub, const Globals& globals, Runner& runner);

// The table main registers, in --help order.
[[nodiscard]] const std::vector<CommandSpec>& command_table();

}  // namespace credctl::cli
