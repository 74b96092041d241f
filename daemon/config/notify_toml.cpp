#include "daemon/config/notify_toml.hpp"

#include "daemon/config/config_keys.hpp"

namespace credctl::daemon {

Result<void> read_notify(const config::Fields& f, notify::Settings& s) {
    if (auto r = f.only(keys_below("notify")); !r) return r;
    auto command = f.strings("command");
    if (!command) return command.error();
    if (*command) {
        // Run without a shell (command_runner.hpp): argv[0] is the program
        // itself, found by its path, not looked up in PATH.
        if ((*command)->empty()) return f.error_at("command", "must name a program: []");
        const std::string& program = (*command)->front();
        if (program.empty() || program[0] != '/' || program.find('\0') != std::string::npos) {
            return f.error_at("command", "not an absolute path: \"" + program + "\"");
        }
        s.command = std::move(**command);
    }
    for (auto [key, field] :
         {std::pair{"timeout_seconds", &s.timeout}, std::pair{"unavailable_after_seconds", &s.unavailable_after}}) {
        const auto& row = config_key(std::string("notify.") + key);
        auto v = f.integer(key, row.min, row.max);
        if (!v) return v.error();
        if (*v) *field = std::chrono::seconds(**v);
    }
    return {};
}

}  // namespace credctl::daemon
