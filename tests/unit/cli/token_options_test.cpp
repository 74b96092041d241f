// quick_token_options() against CLI11 (cli/commands/token_options.hpp): a
// command line it accepts must be one CLI11 accepts too, read into the same
// options; what it is not sure of, it leaves to CLI11.
#include "cli/commands/token_options.hpp"

#include <gtest/gtest.h>
#include <CLI/CLI.hpp>

#include <optional>
#include <ostream>
#include <random>
#include <string>
#include <vector>

namespace credctl::cli {
namespace {

using Args = std::vector<const char*>;

}  // namespace

// For the failure messages of the tests below.
void PrintTo(const TokenOptions& o, std::ostream* out) {
    *out << "{provider '" << o.provider << "' action '" << o.git_action << "' user '" << o.user << "' min_valid "
         << o.ask.min_valid << " scope '" << o.ask.scope << "' timeout " << o.ask.timeout << " output '" << o.output
         << "' env '" << o.env_name << "'}";
}

void PrintTo(const ExecOptions& o, std::ostream* out) {
    *out << "{provider '" << o.provider << "' user '" << o.user << "' min_valid " << o.ask.min_valid << " timeout "
         << o.ask.timeout << " env '" << o.env_name << "' command";
    for (const auto& w : o.command) *out << " '" << w << "'";
    *out << "}";
}

namespace {

std::optional<TokenOptions> quick(const Args& args) {
    return quick_token_options(args);
}

// The options CLI11 reads from `credctl COMMAND ARGS`, the app set up as
// main sets it up when the command line names COMMAND; std::nullopt when
// CLI11 refuses the line.
template <class Options, class Add>
std::optional<Options> cli11(const char* command, Add add, const Args& args) {
    CLI::App app{"credctl"};
    app.set_version_flag("--version", "credctl");
    app.require_subcommand(1);
    Globals globals;
    app.add_option("--socket", globals.socket);
    app.add_option("--config", globals.config_file);
    app.add_flag("-v,--verbose", globals.verbose);
    Options o;
    add(*app.add_subcommand(command), o);
    std::vector<const char*> argv{"credctl", command};
    argv.insert(argv.end(), args.begin(), args.end());
    try {
        app.parse(static_cast<int>(argv.size()), argv.data());
    } catch (const CLI::ParseError&) {
        return std::nullopt;
    }
    return o;
}

std::optional<TokenOptions> cli11(const Args& args) {
    return cli11<TokenOptions>("token", add_token_options, args);
}

// What run_exec() gets on the CLI11 path: CLI11's options, the command
// taken as given (take_command_as_given(), as exec's runner does).
std::optional<ExecOptions> cli11_exec(const Args& args) {
    auto o = cli11<ExecOptions>("exec", add_exec_options, args);
    if (!o) return o;
    std::vector<const char*> argv{"credctl", "exec"};
    argv.insert(argv.end(), args.begin(), args.end());
    argv.push_back(nullptr);
    take_command_as_given(const_cast<char**>(argv.data()), o->command);
    return o;
}

std::string shown(const Args& args) {
    std::string s;
    for (const char* a : args) s += std::string(" '") + a + "'";
    return s;
}

// 20000 random command lines of up to `longest` of `words`: whatever
// `quick` accepts, `full` (CLI11) accepts and reads the same way; and
// enough lines are accepted for that to mean something.
template <class Quick, class Full>
void expect_no_disagreement(const std::vector<const char*>& words, std::size_t longest, unsigned seed, Quick quick,
                            Full full) {
    std::mt19937 random(seed);
    std::uniform_int_distribution<std::size_t> length(0, longest);
    std::uniform_int_distribution<std::size_t> word(0, words.size() - 1);
    int accepted = 0;
    for (int i = 0; i < 20000; ++i) {
        Args line(length(random));
        for (auto& w : line) w = words[word(random)];
        const auto q = quick(line);
        if (!q) continue;
        ++accepted;
        const auto c = full(line);
        ASSERT_TRUE(c.has_value()) << shown(line);
        ASSERT_EQ(*q, *c) << shown(line);
    }
    EXPECT_GT(accepted, 100);
}

TEST(QuickTokenOptions, ReadsTheLinesScriptsAndHelpersRunAsCli11Does) {
    const std::vector<Args> lines{
        {"demo"},
        {"-o", "git-credential", "demo", "get"},
        {"-o", "git-credential", "demo", "store"},
        {"-o", "exec-credential", "demo"},
        {"-o", "credential-process", "demo"},
        {"--user", "alice", "--min-valid", "300", "-o", "json", "github"},
        {"github", "--user", "alice"},
        {"demo", "--scope", "read:org repo"},
        {"-o", "env", "--env", "GITHUB_TOKEN", "github"},
        {"github", "--output", "header"},
        {"--min-valid", "0", "demo"},
        {"--min-valid", "86400", "demo"},
    };
    for (const auto& line : lines) {
        const auto q = quick(line);
        ASSERT_TRUE(q.has_value()) << shown(line);
        const auto c = cli11(line);
        ASSERT_TRUE(c.has_value()) << shown(line);
        EXPECT_EQ(*q, *c) << shown(line);
    }
    const auto q = quick({"--user", "alice", "--min-valid", "300", "-o", "json", "--scope", "repo", "github"});
    ASSERT_TRUE(q.has_value());
    EXPECT_EQ(q->provider, "github");
    EXPECT_EQ(q->user, "alice");
    EXPECT_EQ(q->ask.min_valid, 300);
    EXPECT_EQ(q->ask.scope, "repo");
    EXPECT_EQ(q->output, "json");
    EXPECT_EQ(q->env_name, "CREDCTL_ACCESS_TOKEN");
}

// Lines that CLI11 refuses, or reads in ways not worth repeating here.
const std::vector<Args> k_unsure_lines{
    {},
    {"--help"},
    {"-h", "demo"},
    {"demo", "--help"},
    {"--timeout", "5", "demo"},
    {"--min-valid=5", "demo"},
    {"-ojson", "demo"},
    {"--min-valid", "010", "demo"},  // octal to CLI11
    {"--min-valid", "0x10", "demo"},
    {"--min-valid", "+5", "demo"},
    {"--min-valid", "86401", "demo"},
    {"--min-valid", "", "demo"},
    {"-o", "bogus", "demo"},
    {"demo", "push"},
    {"demo", "get", "more"},
    {"--user", "alice"},
    {"--user", "", "demo"},
    {"--user", "-o", "demo"},
    {"--user", "a", "--user", "b", "demo"},
    {"-o", "env", "--env", "1BAD", "demo"},
    {"--", "demo"},
    {"-v", "demo"},
    {"--socket", "/run/credd.sock", "demo"},
    {"demo", "--user"},
    {""},
    {"++"},
    {"-o", "git-credential", "++", "store"},
};

TEST(QuickTokenOptions, LeavesToCli11WhatItIsNotSureOf) {
    for (const auto& line : k_unsure_lines) EXPECT_FALSE(quick(line).has_value()) << shown(line);
}

// The words of the random command lines below.
const std::vector<const char*> k_words{
    "demo",
    "github",
    "get",
    "store",
    "erase",
    "push",
    "--user",
    "alice",
    "-o",
    "--output",
    "json",
    "raw",
    "env",
    "header",
    "credential-process",
    "git-credential",
    "exec-credential",
    "bogus",
    "--min-valid",
    "0",
    "5",
    "300",
    "86400",
    "86401",
    "010",
    "0x10",
    "-5",
    "+5",
    "--scope",
    "repo",
    "read:org repo",
    "--env",
    "GITHUB_TOKEN",
    "1BAD",
    "--timeout",
    "2.5",
    "--help",
    "-h",
    "--",
    "-v",
    "",
    "--min-valid=5",
    "-ojson",
    "++",
};

// Random command lines of k_words: whatever quick_token_options()
// accepts, CLI11 accepts and reads the same way.
TEST(QuickTokenOptions, AcceptsNothingThatCli11ReadsOtherwise) {
    expect_no_disagreement(k_words, 7, 20261203, quick,
                           static_cast<std::optional<TokenOptions> (*)(const Args&)>(cli11));
}

TEST(QuickExecOptions, ReadsTheLinesScriptsRunAsCli11Does) {
    const std::vector<Args> lines{
        {"demo", "--", "/bin/true"},
        {"github", "--env", "GITHUB_TOKEN", "--", "gh", "api", "/user"},
        {"--user", "alice", "corp", "--min-valid", "300", "--", "sh", "-c", "echo \"$TOKEN\"", "--", ""},
    };
    for (const auto& line : lines) {
        const auto q = quick_exec_options(line);
        ASSERT_TRUE(q.has_value()) << shown(line);
        const auto c = cli11_exec(line);
        ASSERT_TRUE(c.has_value()) << shown(line);
        EXPECT_EQ(*q, *c) << shown(line);
    }
    const auto q = quick_exec_options(Args{"--user", "alice", "corp", "--", "sh", "-c", "x", "--", ""});
    ASSERT_TRUE(q.has_value());
    EXPECT_EQ(q->provider, "corp");
    EXPECT_EQ(q->user, "alice");
    EXPECT_EQ(q->command, (std::vector<std::string>{"sh", "-c", "x", "--", ""}));
}

TEST(QuickExecOptions, LeavesToCli11WhatItIsNotSureOf) {
    const std::vector<Args> lines{
        {},
        {"demo"},
        {"demo", "--"},
        {"demo", "true"},
        {"--", "true"},
        {"demo", "x", "--", "true"},
        {"--help"},
        {"demo", "--help", "--", "true"},
        {"--timeout", "5", "demo", "--", "true"},
        {"-o", "json", "demo", "--", "true"},
        {"--scope", "repo", "demo", "--", "true"},
        {"demo", "--", ""},
        {"++", "--", "true"},
        {"demo", "++", "--", "true"},
        {"demo", "--", "[]"},
        {"demo", "--", "jq", "[.a,.b]"},
        {"--env", "1BAD", "demo", "--", "true"},
    };
    for (const auto& line : lines) EXPECT_FALSE(quick_exec_options(line).has_value()) << shown(line);
}

// The words of the random exec command lines below.
const std::vector<const char*> k_exec_words{
    "demo", "github", "--",    "--",    "true", "sh",        "-c",    "--user", "alice", "--min-valid", "5",
    "010",  "86401",  "--env", "TOKEN", "1BAD", "--timeout", "2",     "-o",     "json",  "--scope",     "--help",
    "-v",   "",       "{}",    "a b",   "++",   "[]",        "[a,b]", "[ x ]",  "-n",
};

// Random exec command lines: whatever quick_exec_options() accepts, CLI11
// accepts and reads the same way.
TEST(QuickExecOptions, AcceptsNothingThatCli11ReadsOtherwise) {
    expect_no_disagreement(k_exec_words, 8, 20261204, quick_exec_options, cli11_exec);
}

// CLI11 reads a word in [brackets] as a list; exec's command is run as
// given on either path.
TEST(QuickExecOptions, TheCommandIsRunAsGivenOnEitherPath) {
    const Args line{"demo", "--", "sh", "-c", "[ -n \"$T\" ] && jq '[.a,.b]'", "[x]"};
    EXPECT_FALSE(quick_exec_options(line).has_value());
    const auto c = cli11_exec(line);
    ASSERT_TRUE(c.has_value());
    EXPECT_EQ(c->command, (std::vector<std::string>{"sh", "-c", "[ -n \"$T\" ] && jq '[.a,.b]'", "[x]"}));
    const auto q = quick_exec_options(Args{"demo", "--", "sh", "-c", "test -n \"$T\""});
    ASSERT_TRUE(q.has_value());
    EXPECT_EQ(q->command, (std::vector<std::string>{"sh", "-c", "test -n \"$T\""}));
}

}  // namespace
}  // namespace credctl::cli
