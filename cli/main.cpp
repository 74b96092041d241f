// credctl: the command-line client of credd. Argument parsing and one call
// into the command table.
#include "cli/commands/command.hpp"
#include "common/crypto/crypto.hpp"

#include <CLI/CLI.hpp>

#include <sys/resource.h>
#include <iostream>

int main(int argc, char** argv) {
    using namespace credctl;
    // Tokens pass through this process: no core file may hold one.
    const struct rlimit no_core { 0, 0 };
    ::setrlimit(RLIMIT_CORE, &no_core);
    if (auto r = crypto::init(); !r) {
        std::cerr << "credctl: " << r.error().message << "\n";
        return exit_code(Errc::internal);
    }
    CLI::App app{"credctl: OAuth credentials for local processes, kept by credd"};
    app.set_version_flag("--version", "credctl " CREDCTL_VERSION " (linked: " CREDCTL_LINKAGE ")");
    app.require_subcommand(1);
    app.footer(cli::exit_status_help());
    cli::Globals globals;
    app.add_option("--socket", globals.socket,
                   "credd socket (default: $CREDD_SOCKET, then the per-user, then the system socket)");
    app.add_option("--config", globals.config_file, "Client config file (default: ~/.config/credctl/credctl.toml)");
    app.add_flag("-v,--verbose", globals.verbose, "Say more");
    const auto& table = cli::command_table();
    std::vector<cli::Runner> runners(table.size());
    std::vector<CLI::App*> subs;
    for (std::size_t i = 0; i < table.size(); ++i) {
        subs.push_back(app.add_subcommand(std::string(table[i].name), std::string(table[i].summary)));
        table[i].add(*subs.back(), globals, runners[i]);
    }
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        const int rc = app.exit(e);
        return rc == 0 ? 0 : exit_code(Errc::usage);
    }
    cli::Runner runner;
    for (std::size_t i = 0; i < subs.size(); ++i) {
        if (subs[i]->parsed()) runner = runners[i];
    }
    auto r = runner();
    if (!r) {
        std::cerr << "credctl: " << r.error().message << "\n";
        return exit_code(r.error().code);
    }
    return 0;
}
