// credd: the credctl daemon. Argument parsing, process hardening in a visible
// order, then one call into the library.
#include "common/crypto/crypto.hpp"
#include "common/log/log.hpp"
#include "daemon/config/config_keys.hpp"
#include "daemon/config/config_report.hpp"
#include "daemon/daemon.hpp"
#include "daemon/systemd/activation.hpp"

#include <CLI/CLI.hpp>

#include <iostream>

namespace {

using namespace credctl;

// credd --check-config: the config parses; each key with its effective value
// and where it came from, then the master key's path (never its bytes).
int check_config(const daemon::Options& options) {
    const std::string file = daemon::config_file_for(options.mode, options.config_file);
    auto config = daemon::load_config_for(options.mode, options.config_file);
    auto report = config ? daemon::report_config(*config, options.mode, file) : config.error();
    if (!report) {
        std::cerr << "credd: " << report.error().message << "\n";
        return 1;
    }
    auto key = daemon::master_key_source(options.mode, *config);
    std::cout << "# config ok (" << daemon::to_string(options.mode) << " mode, "
              << (file.empty() ? "no config file" : file) << ")\n"
              << daemon::format_report(*report)
              << "# master key: " << (key ? key->path + " (" + key->origin + ")" : key.error().message) << "\n";
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{"credd: keeps OAuth refresh tokens and serves access tokens to allowed local processes"};
    app.set_version_flag("--version", "credd " CREDCTL_VERSION " (linked: " CREDD_LINKAGE ")");
    daemon::Options options;
    options.mode = daemon::default_mode();
    bool system = false;
    bool user = false;
    bool check = false;
    bool list_keys = false;
    app.add_option("--config", options.config_file, "Configuration file (credctl.toml(5))");
    auto* sys = app.add_flag("--system", system, "System mode: /run/credd, /var/lib/credd, /etc/credctl (credd(8))");
    app.add_flag("--user", user, "Per-user mode: $XDG_RUNTIME_DIR, $XDG_STATE_HOME, $XDG_CONFIG_HOME")->excludes(sys);
    app.add_flag("--check-config", check, "Check the configuration, print what credd would use, and exit");
    app.add_flag("--list-config-keys", list_keys, "")->group("");  // for the man page test
    app.add_flag("--verbose", options.verbose, "Log debug messages");
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        return app.exit(e) == 0 ? 0 : 2;
    }
    if (system) options.mode = daemon::Mode::system;
    if (user) options.mode = daemon::Mode::user;
    if (list_keys) {
        for (const auto& k : daemon::config_keys()) std::cout << k.key << "\n";
        return 0;
    }
    if (check) return check_config(options);

    // Before harden_process() closes inherited descriptors: fd 3 may be ours.
    auto activated = systemd::take_listen_fd();
    if (!activated) {
        log::error(activated.error().message);
        return 1;
    }
    if (auto r = daemon::harden_process(*activated ? 1 : 0); !r) {
        log::error(r.error().message);
        return 1;
    }
    options.listen_fd = activated->value_or(-1);
    if (auto r = crypto::init(); !r) {
        log::error(r.error().message);
        return 1;
    }
    if (auto r = daemon::run(options); !r) {
        log::error(r.error().message);
        return 1;
    }
    return 0;
}
