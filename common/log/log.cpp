#include "common/log/log.hpp"

#include <unistd.h>

#include <atomic>
#include <string>

namespace credctl::log {
namespace {
std::atomic<int> g_threshold{static_cast<int>(Level::info)};
}

void set_threshold(Level level) {
    g_threshold = static_cast<int>(level);
}

bool enabled(Level level) {
    return static_cast<int>(level) <= g_threshold;
}

void write(Level level, std::string_view message) {
    if (static_cast<int>(level) > g_threshold) return;
    std::string line = "<" + std::to_string(static_cast<int>(level)) + ">";
    line.append(message);
    line.push_back('\n');
    // One write(2) per line keeps lines from interleaving across threads.
    [[maybe_unused]] auto n = ::write(STDERR_FILENO, line.data(), line.size());
}

void write_lines(Level level, std::string_view prefix, std::span<const std::string> messages) {
    if (static_cast<int>(level) > g_threshold || messages.empty()) return;
    const std::string head = "<" + std::to_string(static_cast<int>(level)) + ">" + std::string(prefix);
    std::size_t size = 0;
    for (const auto& m : messages) size += head.size() + m.size() + 1;
    std::string text;
    text.reserve(size);
    for (const auto& m : messages) {
        text += head;
        text += m;
        text += '\n';
    }
    [[maybe_unused]] auto n = ::write(STDERR_FILENO, text.data(), text.size());
}

}  // namespace credctl::log
