// The credctl subcommands: one file each, registered in one table
// (commands.cpp). A command adds its options to its CLI11 subcommand and
// leaves a runner that main calls after parsing.
//
// Runners return Result<void>; main turns an Error into a message on stderr
// and the exit status of credctl(1) EXIT STATUS.
#pragma once

#include "cli/commands/globals.hpp"
#include "common/config/provider.hpp"
#include "common/error/error.hpp"
#include "common/wire/wire.hpp"

#include <CLI/App.hpp>

#include <functional>
#include <string>
#include <string_view>

namespace credctl::cli {

using Runner = std::function<Result<void>()>;

// Adds --min-valid and --timeout, shared by `token` and `exec`.
void add_token_ask_options(CLI::App& sub, TokenAsk& ask);

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

// Runs `runner` and returns what it returns. Commands return their errors as
// values; an exception that escapes one anyway (a library that throws where
// it was not expected to) is a bug: it becomes an internal error that names
// it as one and says what was thrown, for main to print and exit 1 on,
// instead of std::terminate's abort.
[[nodiscard]] Result<void> run_guarded(const Runner& runner);

// The table main registers, in --help order.
[[nodiscard]] const std::vector<CommandSpec>& command_table();

}  // namespace credctl::cli
