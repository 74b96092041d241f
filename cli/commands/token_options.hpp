// The options of credctl token and credctl exec (cli/commands/token.cpp,
// exec.cpp), and a quick reading of the plain command lines that scripts,
// git and kubectl run once per token, taken before CLI11 is set up: setting
// up CLI11's parser was 7-10 % of a `credctl token` (docs/benchmarks.md,
// "credctl start-up").
//
// The quick readers accept only what they are sure CLI11 reads the same
// way: the options --user, --min-valid and --env, and token's -o/--output
// and --scope, each at most once and with its value in the next argument,
// values that CLI11's checks accept; token's one or two positional
// arguments (PROVIDER, and git's ACTION); exec's PROVIDER, then "--" and the
// command. For anything else (--help, --timeout, --opt=value, a
// value that starts with '-' or is empty, an unknown option, format or
// action, a repeated option, a missing provider) it answers std::nullopt,
// and main hands the command line to CLI11, which parses it and reports
// errors and help as always. tests/unit/cli/token_options_test.cpp holds
// both readers to the same result.
//
// Thread-safety: pure functions, apart from run_token's I/O.
#pragma once

#include "cli/commands/globals.hpp"

#include <optional>
#include <span>
#include <string>
#include <vector>

namespace CLI {
class App;
}  // namespace CLI

namespace credctl::cli {

struct TokenOptions {
    std::string provider;
    std::string user;
    TokenAsk ask;
    std::string output = "raw";
    std::string env_name = "CREDCTL_ACCESS_TOKEN";
    std::string git_action;  // appended by git to a credential.helper command

    bool operator==(const TokenOptions&) const = default;
};

// Registers the options and arguments of `credctl token` on `sub`, into `o`.
void add_token_options(CLI::App& sub, TokenOptions& o);

struct ExecOptions {
    std::string provider;
    std::string user;
    TokenAsk ask;
    std::string env_name = "CREDCTL_ACCESS_TOKEN";
    std::vector<std::string> command;

    bool operator==(const ExecOptions&) const = default;
};

// Registers the options and arguments of `credctl exec` on `sub`, into `o`.
void add_exec_options(CLI::App& sub, ExecOptions& o);

// `args`: the arguments after "token" or "exec". See above.
[[nodiscard]] std::optional<TokenOptions> quick_token_options(std::span<const char* const> args);
[[nodiscard]] std::optional<ExecOptions> quick_exec_options(std::span<const char* const> args);

// CLI11 splits a word of exec's command in [brackets] at its commas and
// drops the brackets (`sh -c '[ -n "$T" ]'`): the command is taken instead
// as the words after the first "--" of `argv` (null-terminated), as given.
// Without a "--", `command` is left as it is.
void take_command_as_given(char** argv, std::vector<std::string>& command);

// Runs a plain `credctl token` or `credctl exec` line (argv as main has it)
// without setting up CLI11; std::nullopt when the quick readers leave it to
// CLI11.
[[nodiscard]] std::optional<Result<void>> run_plain_line(int argc, char** argv);

// Fetches the token and prints it in the format asked for.
[[nodiscard]] Result<void> run_token(const Globals& g, const TokenOptions& o);
// Fetches the token and replaces credctl with the command; returns only on
// an error before the command runs (exits 126 or 127 when it cannot run).
[[nodiscard]] Result<void> run_exec(const Globals& g, const ExecOptions& o);

}  // namespace credctl::cli
