// What every credctl command line shares, CLI11 apart: the global options,
// the client of the chosen credd, and the token fetch of `token` and
// `exec`. The plain token and exec lines are served from this alone, in
// credctl itself (cli/front.cpp); cli/commands/command.hpp adds what the
// commands module's CLI11 parser needs.
#pragma once

#include "cli/client/client_config.hpp"
#include "cli/client/daemon_client.hpp"
#include "common/error/error.hpp"
#include "common/wire/wire.hpp"

#include <string>

namespace credctl::cli {

struct Globals {
    std::string socket;       // --socket
    std::string config_file;  // --config
    bool verbose = false;
    char** argv = nullptr;  // the command line as given, for a command another program runs (login)
    // Reads a client config file (read_client_config, with toml++). Null in
    // credctl's plain lines, which leave a line with a client config to the
    // commands module (cli/front.cpp): make_client() then fails if one
    // appears meanwhile.
    Result<ClientConfig> (*read_config)(const std::string& path) = nullptr;
};

// ~/.config/credctl/credctl.toml, or under $XDG_CONFIG_HOME when that is absolute.
[[nodiscard]] std::string default_client_config();

// Builds the client for the socket chosen by --socket, $CREDD_SOCKET, the
// client config (--config, else default_client_config() if it exists) or
// the per-user default.
[[nodiscard]] Result<DaemonClient> make_client(const Globals& globals);

// The caller's login name as credd knows it (GET /v1/whoami), the default
// `--user`: the name credd's policy and store use for the caller's uid,
// whatever this process's own /etc/passwd (a container's, say) calls it.
[[nodiscard]] Result<std::string> caller_name(const DaemonClient& client);

// "/v1/users/alice/credentials/github"
[[nodiscard]] std::string credential_path(const std::string& user, const std::string& provider);

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

}  // namespace credctl::cli
