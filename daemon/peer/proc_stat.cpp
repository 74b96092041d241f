#include "daemon/peer/proc_stat.hpp"

namespace credctl::peer {

std::optional<std::string> start_time_from_stat(std::string_view stat) {
    // The last ')' ends the command name, whatever it holds (proc(5)).
    const auto close = stat.rfind(')');
    if (close == std::string_view::npos) return std::nullopt;
    std::string_view rest = stat.substr(close + 1);
    // Fields 3 to 22 follow, separated by white space.
    for (int field = 3; field <= 22; ++field) {
        const auto start = rest.find_first_not_of(" \t\n");
        if (start == std::string_view::npos) return std::nullopt;
        rest.remove_prefix(start);
        const auto end = std::min(rest.find_first_of(" \t\n"), rest.size());
        if (field == 22) return std::string(rest.substr(0, end));
        rest.remove_prefix(end);
    }
    return std::nullopt;
}

}  // namespace credctl::peer
