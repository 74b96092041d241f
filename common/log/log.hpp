// Line-oriented logging to stderr: one event per line, prefixed by a
// syslog-style level ("<6>") that journald understands, so the same output
// reads well in a terminal and in the journal.
//
// A message is one line: its control characters, newlines included, are
// written escaped (common/text/printable.hpp), so text it quotes from a
// provider cannot forge a line or a priority of its own.
//
// Never pass token material: SecretBytes has no conversion to string on
// purpose. Thread-safety: each call writes its line, or its lines, with a
// single write(2).
#pragma once

#include <string>
#include <string_view>

namespace credctl::log {

enum class Level { error = 3, warning = 4, info = 6, debug = 7 };

void set_threshold(Level level);
// Whether a message of `level` is written at the current threshold.
[[nodiscard]] bool enabled(Level level);
void write(Level level, std::string_view message);
// Each line of `lines` (ended by a newline, the last one maybe not) as
// `prefix` + line, each line escaped as write() escapes a message, all in
// one write(2).
void write_lines(Level level, std::string_view prefix, std::string_view lines);

inline void error(std::string_view m) {
    write(Level::error, m);
}
inline void warning(std::string_view m) {
    write(Level::warning, m);
}
inline void info(std::string_view m) {
    write(Level::info, m);
}
inline void debug(std::string_view m) {
    write(Level::debug, m);
}

}  // namespace credctl::log
