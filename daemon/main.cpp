// credd: the credctl daemon. Argument parsing, process hardening in a visible
// order, then one call into the library.
#include "common/crypto/crypto.hpp"
#include "common/log/log.hpp"
#include "daemon/daemon.hpp"

#include <CLI/CLI.hpp>

#include <cstdio>

int main(int argc, char** argv) {
    CLI::App app{"credd: keeps OAuth refresh tokens and serves access tokens to allowed local processes"};
    app.set_version_flag("--version", "credd " CREDCTL_VERSION);
    credctl::daemon::Options options;
    app.add_option("--config", options.config_file, "Configuration file (credctl.toml(5))");
    app.add_flag("--verbose", options.verbose, "Log debug messages");
    CLI11_PARSE(app, argc, argv);

    if (auto r = credctl::daemon::harden_process(); !r) {
        credctl::log::error(r.error().message);
        return 1;
    }
    if (auto r = credctl::crypto::init(); !r) {
        credctl::log::error(r.error().message);
        return 1;
    }
    if (auto r = credctl::daemon::run(options); !r) {
        credctl::log::error(r.error().message);
        return 1;
    }
    return 0;
}
