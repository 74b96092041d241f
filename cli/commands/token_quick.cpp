// quick_token_options(), quick_exec_options() and run_plain_line()
// (token_options.hpp): they must not call CLI11.
#include "cli/commands/token_options.hpp"
#include "cli/output/token_format.hpp"

#include <unistd.h>

#include <algorithm>
#include <array>
#include <span>
#include <string_view>
#include <vector>

namespace credctl::cli {
namespace {

// What CLI11's integer conversion and Range(0, 86400) surely read as this
// number: decimal digits without a sign, a space or a leading zero (CLI11
// reads "010" as octal).
std::optional<int> plain_seconds(std::string_view s) {
    if (s.empty() || s.size() > 5 || (s.size() > 1 && s.front() == '0')) return std::nullopt;
    int n = 0;
    for (const char c : s) {
        if (c < '0' || c > '9') return std::nullopt;
        n = n * 10 + (c - '0');
    }
    if (n > 86400) return std::nullopt;
    return n;
}

// Where CLI11 ends a subcommand's arguments (before "--").
constexpr std::string_view k_subcommand_end = "++";

bool is_format(std::string_view s) {
    const auto& names = token_format_names();
    return std::find(names.begin(), names.end(), s) != names.end();
}

bool is_git_action(std::string_view s) {
    return s == "get" || s == "store" || s == "erase";
}

// Where the options go. `output` is token's -o; nullptr for exec, which
// has neither -o nor --scope.
struct Target {
    std::string& user;
    TokenAsk& ask;
    std::string& env_name;
    std::string* output;
};

enum class Option : std::size_t { user, output, min_valid, scope, env };
constexpr std::size_t k_options = 5;
using Seen = std::array<bool, k_options>;

std::optional<Option> option_named(std::string_view arg, const Target& t) {
    if (arg == "--user") return Option::user;
    if (arg == "--min-valid") return Option::min_valid;
    if (arg == "--env") return Option::env;
    if (t.output != nullptr && (arg == "-o" || arg == "--output")) return Option::output;
    if (t.output != nullptr && arg == "--scope") return Option::scope;
    return std::nullopt;
}

// Reads the option at args[i] and its value into `t`, each option once at
// most; false when not sure. `i` is left on the value.
bool read_option(std::span<const char* const> args, std::size_t& i, Seen& seen, const Target& t) {
    const auto option = option_named(args[i], t);
    if (!option || seen[static_cast<std::size_t>(*option)] || i + 1 == args.size()) return false;
    seen[static_cast<std::size_t>(*option)] = true;
    const std::string_view value = args[++i];
    if (value.empty() || value.front() == '-') return false;
    switch (*option) {
        case Option::user:
            t.user = value;
            return true;
        case Option::output:
            *t.output = value;
            return is_format(value);
        case Option::min_valid: {
            const auto seconds = plain_seconds(value);
            t.ask.min_valid = seconds.value_or(-1);
            return seconds.has_value();
        }
        case Option::scope:
            t.ask.scope = value;
            return true;
        case Option::env:
            t.env_name = value;
            return valid_env_name(value);
    }
    return false;
}

}  // namespace

std::optional<TokenOptions> quick_token_options(std::span<const char* const> args) {
    TokenOptions o;
    const Target target{o.user, o.ask, o.env_name, &o.output};
    Seen seen{};
    std::size_t positionals = 0;
    for (std::size_t i = 0; i < args.size(); ++i) {
        const std::string_view arg = args[i];
        if (arg.empty() || arg == k_subcommand_end) return std::nullopt;
        if (arg.front() == '-') {
            if (!read_option(args, i, seen, target)) return std::nullopt;
        } else if (positionals == 0) {
            o.provider = arg;
            ++positionals;
        } else if (positionals == 1 && is_git_action(arg)) {
            o.git_action = arg;
            ++positionals;
        } else {
            return std::nullopt;
        }
    }
    if (positionals == 0) return std::nullopt;
    return o;
}

std::optional<ExecOptions> quick_exec_options(std::span<const char* const> args) {
    ExecOptions o;
    const Target target{o.user, o.ask, o.env_name, nullptr};
    Seen seen{};
    std::size_t i = 0;
    for (; i < args.size() && std::string_view(args[i]) != "--"; ++i) {
        const std::string_view arg = args[i];
        if (arg.empty() || arg == k_subcommand_end || (arg.front() != '-' && !o.provider.empty())) return std::nullopt;
        if (arg.front() != '-') {
            o.provider = arg;
        } else if (!read_option(args, i, seen, target)) {
            return std::nullopt;
        }
    }
    // The command: every word after "--", as given (take_command_as_given()
    // does the same after CLI11). A line CLI11 might refuse for a word of
    // it, an empty first word or one in [brackets] (CLI11 splits those at
    // their commas and may be left with no command), is left to CLI11.
    if (o.provider.empty() || i + 1 >= args.size() || std::string_view(args[i + 1]).empty()) return std::nullopt;
    for (std::size_t w = i + 1; w < args.size(); ++w) {
        const std::string_view word = args[w];
        if (word.size() >= 2 && word.front() == '[' && word.back() == ']') return std::nullopt;
    }
    o.command.assign(args.begin() + static_cast<std::ptrdiff_t>(i) + 1, args.end());
    return o;
}

void take_command_as_given(char** argv, std::vector<std::string>& command) {
    if (argv == nullptr || *argv == nullptr) return;
    char** a = argv + 1;
    while (*a != nullptr && std::string_view(*a) != "--") ++a;
    if (*a == nullptr) return;
    command.clear();
    for (++a; *a != nullptr; ++a) command.emplace_back(*a);
}

std::optional<Result<void>> run_plain_line(int argc, char** argv) {
    if (argc < 3) return std::nullopt;
    // A client config is read with toml++, which credctl itself does not
    // hold: the commands module serves the line (cli/front.cpp).
    if (::access(default_client_config().c_str(), F_OK) == 0) return std::nullopt;
    const std::string_view command = argv[1];
    const std::span<const char* const> rest{argv + 2, static_cast<std::size_t>(argc - 2)};
    Globals globals;
    globals.argv = argv;
    if (command == "token") {
        if (const auto quick = quick_token_options(rest)) return run_token(globals, *quick);
    } else if (command == "exec") {
        if (const auto quick = quick_exec_options(rest)) return run_exec(globals, *quick);
    }
    return std::nullopt;
}

}  // namespace credctl::cli
