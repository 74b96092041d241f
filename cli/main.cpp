// Every credctl command line but the plain token and exec lines, which
// credctl serves itself (front.cpp): argument parsing by CLI11 and one call
// into the command table. credctl runs it from its commands module
// (commands_module.cpp), credctl-login from its main (login_main.cpp).
#include "cli/client/client_config.hpp"
#include "cli/commands/command.hpp"
#include "cli/commands/command_pick.hpp"
#include "cli/entry.hpp"

#include <CLI/CLI.hpp>

#include <array>
#include <string_view>

namespace credctl::cli {

int run_command_line(int argc, char** argv) {
    CLI::App app{"credctl: OAuth credentials for local processes, kept by credd"};
    app.set_version_flag("--version", version_text());
    app.require_subcommand(1);
    app.footer(exit_status_help());
    Globals globals;
    globals.argv = argv;
    globals.read_config = read_client_config;
    app.add_option("--socket", globals.socket,
                   "credd socket (default: $CREDD_SOCKET, then the per-user, then the system socket)");
    app.add_option("--config", globals.config_file, "Client config file (default: ~/.config/credctl/credctl.toml)");
    app.add_flag("-v,--verbose", globals.verbose, "Say more");
    const auto& table = command_table();
    std::vector<std::string_view> names;
    for (const auto& c : table) names.push_back(c.name);
    constexpr std::array<std::string_view, 2> k_value_options{"--socket", "--config"};
    // Only the subcommand named is built (cli/commands/command_pick.hpp).
    const auto named = named_subcommand(names, k_value_options, {argv + 1, static_cast<std::size_t>(argc - 1)});
    std::vector<Runner> runners(table.size());
    std::vector<CLI::App*> subs(table.size(), nullptr);
    for (std::size_t i = 0; i < table.size(); ++i) {
        if (named && *named != i) continue;
        subs[i] = app.add_subcommand(std::string(table[i].name), std::string(table[i].summary));
        table[i].add(*subs[i], globals, runners[i]);
    }
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        const int rc = app.exit(e);
        return rc == 0 ? 0 : exit_code(Errc::usage);
    }
    Runner runner;
    for (std::size_t i = 0; i < subs.size(); ++i) {
        if (subs[i] != nullptr && subs[i]->parsed()) runner = runners[i];
    }
    return finish(run_guarded(runner));
}

}  // namespace credctl::cli
