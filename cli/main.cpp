// credctl: the command-line client of credd. Argument parsing and one call
// into the command table. The same main is credctl-login's, the program that
// `credctl login` runs (cli/commands/login_handoff.cpp).
#include "cli/commands/command.hpp"
#include "cli/commands/command_pick.hpp"
#include "cli/commands/token_options.hpp"
#include "common/crypto/crypto.hpp"

#include <CLI/CLI.hpp>

#include <sys/resource.h>
#include <array>
#include <iostream>
#include <string_view>

namespace {

// An error on stderr and its exit status (credctl(1) EXIT STATUS).
int finish(const credctl::Result<void>& r) {
    if (r) return 0;
    std::cerr << "credctl: " << r.error().message << "\n";
    return credctl::exit_code(r.error().code);
}

}  // namespace

int main(int argc, char** argv) {
    using namespace credctl;
    // Tokens pass through this process: no core file may hold one.
    const struct rlimit no_core { 0, 0 };
    ::setrlimit(RLIMIT_CORE, &no_core);
    if (auto r = crypto::init(); !r) {
        std::cerr << "credctl: " << r.error().message << "\n";
        return exit_code(Errc::internal);
    }
    // The plain `credctl token` and `credctl exec` lines that scripts and
    // helpers run once per token, read without setting up CLI11
    // (cli/commands/token_options.hpp); CLI11 reads every other line.
    if (auto plain = cli::run_plain_line(argc, argv)) return finish(*plain);
    CLI::App app{"credctl: OAuth credentials for local processes, kept by credd"};
    app.set_version_flag("--version", cli::version_text());
    app.require_subcommand(1);
    app.footer(cli::exit_status_help());
    cli::Globals globals;
    globals.argv = argv;
    app.add_option("--socket", globals.socket,
                   "credd socket (default: $CREDD_SOCKET, then the per-user, then the system socket)");
    app.add_option("--config", globals.config_file, "Client config file (default: ~/.config/credctl/credctl.toml)");
    app.add_flag("-v,--verbose", globals.verbose, "Say more");
    const auto& table = cli::command_table();
    std::vector<std::string_view> names;
    for (const auto& c : table) names.push_back(c.name);
    constexpr std::array<std::string_view, 2> k_value_options{"--socket", "--config"};
    // Only the subcommand named is built (cli/commands/command_pick.hpp).
    const auto named = cli::named_subcommand(names, k_value_options, {argv + 1, static_cast<std::size_t>(argc - 1)});
    std::vector<cli::Runner> runners(table.size());
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
    cli::Runner runner;
    for (std::size_t i = 0; i < subs.size(); ++i) {
        if (subs[i] != nullptr && subs[i]->parsed()) runner = runners[i];
    }
    return finish(runner());
}
