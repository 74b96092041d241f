#include "common/log/log.hpp"

#include "common/text/printable.hpp"

#include <unistd.h>

#include <algorithm>
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
    // Escaped whole, newlines included: a message is one line, and what it
    // quotes (a provider's answer) cannot start a line of its own.
    text::append_printable(line, message);
    line.push_back('\n');
    // One write(2) per line keeps lines from interleaving across threads.
    [[maybe_unused]] auto n = ::write(STDERR_FILENO, line.data(), line.size());
}

void write_lines(Level level, std::string_view prefix, std::string_view lines) {
    if (static_cast<int>(level) > g_threshold || lines.empty()) return;
    const std::string head = "<" + std::to_string(static_cast<int>(level)) + ">" + std::string(prefix);
    std::size_t count = 0;  // newlines, found with memchr as the split below finds them
    for (auto at = lines.find('\n'); at != std::string_view::npos; at = lines.find('\n', at + 1)) ++count;
    std::string text;
    text.reserve(lines.size() + (count + 1) * head.size() + 1);
    for (std::size_t at = 0; at < lines.size();) {
        const auto end = std::min(lines.find('\n', at), lines.size());
        text += head;
        text::append_printable(text, lines.substr(at, end - at));
        text += '\n';
        at = end + 1;
    }
    [[maybe_unused]] auto n = ::write(STDERR_FILENO, text.data(), text.size());
}

}  // namespace credctl::log
