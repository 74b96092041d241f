#include "cli/commands/globals.hpp"

#include "cli/client/autostart.hpp"
#include "cli/client/daemon_locator.hpp"

#include "common/wire/policy_wire.hpp"
#include "common/wire/wire.hpp"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>

namespace credctl::cli {

std::string default_client_config() {
    const char* xdg = std::getenv("XDG_CONFIG_HOME");
    const char* home = std::getenv("HOME");
    if (xdg != nullptr && xdg[0] == '/') return std::string(xdg) + "/credctl/credctl.toml";
    return std::string(home != nullptr ? home : "") + "/.config/credctl/credctl.toml";
}

Result<DaemonClient> make_client(const Globals& g) {
    const std::string cfg = g.config_file.empty() ? default_client_config() : g.config_file;
    ClientConfig client_config;
    if (!g.config_file.empty() || ::access(cfg.c_str(), F_OK) == 0) {
        if (g.read_config == nullptr) {
            return make_error(Errc::internal, cfg + " appeared while credctl ran; run it again");
        }
        auto c = g.read_config(cfg);
        if (!c) return c.error();
        client_config = std::move(*c);
    }
    const auto where = locate_daemon({g.socket, client_config.socket});
    // stdio: `credctl token` may run before the C++ streams exist (cli/front.cpp).
    for (const auto& w : where.warnings) std::fprintf(stderr, "credctl: warning: %s\n", w.c_str());
    if (client_config.autostart && where.origin == "per-user") {
        if (auto r = ensure_user_daemon(where.socket); !r) return r.error();
    }
    return DaemonClient(where.socket);
}

Result<std::string> caller_name(const DaemonClient& client) {
    auto reply = client.call("GET", "/v1/whoami");
    if (!reply) return reply.error();
    auto w = wire::parse_whoami(reply->body);
    if (!w) return w.error();
    const std::string uid = std::to_string(w->identity.uid);
    if (!w->identity.user) return make_error(Errc::usage, "credd knows no user name for uid " + uid + "; pass --user");
    if (!wire::valid_name(*w->identity.user)) {
        return make_error(Errc::usage, "the login name of uid " + uid + " cannot name a credential; pass --user");
    }
    return *w->identity.user;
}

std::string credential_path(const std::string& user, const std::string& provider) {
    return "/v1/users/" + user + "/credentials/" + provider;
}

}  // namespace credctl::cli
