// credctl: the command-line client of credd. Argument parsing and one call
// into the command table. The same main is credctl-login's, the program that
// `credctl login` runs (cli/commands/login_handoff.cpp).
//
// The plain `credctl token` and `credctl exec` lines, which scripts and
// helpers run once per token, are served before main: from a constructor
// that runs before the program's other static objects are constructed
// (glibc passes main's arguments to an executable's constructors). What
// every other line needs and these do not, CLI11's validators and the C++
// streams' and locales' set-up, is then never done: 6-7 % of a `credctl
// token` (docs/benchmarks.md, "credctl start-up"). So the code these lines
// reach (cli/commands/token_quick.cpp and what it calls) must not use an
// object of namespace scope that is constructed at run time: no std::cin,
// std::cout or std::cerr, stdio instead (scripts/check-layering.sh).
#include "cli/commands/command.hpp"
#include "cli/commands/command_pick.hpp"
#include "cli/commands/token_options.hpp"
#include "common/crypto/crypto.hpp"

#include <CLI/CLI.hpp>

#include <sys/resource.h>
#include <array>
#include <cstdio>
#include <cstdlib>
#include <string_view>

namespace {

// An error on stderr and its exit status (credctl(1) EXIT STATUS).
int finish(const credctl::Result<void>& r) {
    if (r) return 0;
    std::fprintf(stderr, "credctl: %s\n", r.error().message.c_str());
    return credctl::exit_code(r.error().code);
}

// Before main and the other static objects (above). The plain lines are
// read without CLI11 (cli/commands/token_options.hpp); every other line
// goes on to main, where CLI11 reads it.
[[gnu::constructor(101)]] void serve_plain_line(int argc, char** argv, char** /*envp*/) {
    using namespace credctl;
    // Tokens pass through this process: no core file may hold one.
    const struct rlimit no_core { 0, 0 };
    ::setrlimit(RLIMIT_CORE, &no_core);
    if (auto r = crypto::init(); !r) std::exit(finish(r));
    if (auto plain = cli::run_plain_line(argc, argv)) std::exit(finish(*plain));
}

}  // namespace

int main(int argc, char** argv) {
    using namespace credctl;
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
