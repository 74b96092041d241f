// [notify] of credd's config (credctl.toml(5)): what credd does when a
// credential needs a login or its provider has been unavailable too long.
// A plain value, read by daemon/config (notify_toml.hpp) and used by the
// Alerter (alerter.hpp). Thread-safety: a value.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace credctl::notify {

// Bounds of the [notify] keys (config_keys.cpp rows use them).
// A command gets at least a second, and never holds credd's slot for more
// than ten minutes.
constexpr std::int64_t k_min_timeout_seconds = 1;
constexpr std::int64_t k_max_timeout_seconds = 600;
// Unavailable for a second already counts (tests); thirty days is the most
// anyone waits before being told.
constexpr std::int64_t k_min_unavailable_after_seconds = 1;
constexpr std::int64_t k_max_unavailable_after_seconds = 30 * 24 * 3600;

// What alerts may start commands (alerter.hpp, command_budget.hpp): one
// user's credentials five in a row, then one more every ten minutes; and
// sixteen commands at once in all.
constexpr std::uint32_t k_commands_per_user = 5;
constexpr std::chrono::seconds k_command_refill{600};
constexpr std::size_t k_max_running_commands = 16;

struct Settings {
    // argv of the notify command, argv[0] an absolute path, run without a
    // shell; empty: the log line alone.
    std::vector<std::string> command;
    std::chrono::seconds timeout{10};
    // A provider that has failed a credential's refreshes for this long is
    // worth a word, as a login_required is.
    std::chrono::seconds unavailable_after{3600};
};

}  // namespace credctl::notify
