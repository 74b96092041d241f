#include "cli/commands/command_pick.hpp"

#include <algorithm>

namespace credctl::cli {

std::optional<std::size_t> named_subcommand(std::span<const std::string_view> names,
                                            std::span<const std::string_view> value_options,
                                            std::span<const char* const> args) {
    for (std::size_t i = 0; i < args.size(); ++i) {
        const std::string_view arg = args[i];
        if (arg == "--" || arg == "-h" || arg == "--help") return std::nullopt;
        if (!arg.empty() && arg[0] == '-') {
            // "--socket PATH" hides PATH from the scan; "--socket=PATH" is one argument.
            if (std::find(value_options.begin(), value_options.end(), arg) != value_options.end()) ++i;
            continue;
        }
        const auto it = std::find(names.begin(), names.end(), arg);
        if (it == names.end()) return std::nullopt;
        return static_cast<std::size_t>(it - names.begin());
    }
    return std::nullopt;
}

}  // namespace credctl::cli
