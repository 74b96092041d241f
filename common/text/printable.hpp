// Text from elsewhere (an OAuth provider's error, a device code, an ID
// token's subject, anything relayed by credd) made safe to write to a
// terminal or a log line: what a terminal or the journal could act on is
// written as \xNN, so an answer cannot move the cursor, retitle or clear a
// terminal, or start a log line of its own with a forged "<N>" priority.
//
// Escaped, byte by byte: the C0 controls (0x00-0x1f, newline and tab
// included), DEL (0x7f), the C1 controls in their UTF-8 form (U+0080-U+009F,
// "\xc2\x9b"), and every byte that is not part of valid UTF-8 (a terminal
// set to an 8-bit charset reads a lone 0x9b as CSI). Valid UTF-8 text is
// kept as it is, backslashes included: the result is for reading, not
// for decoding back.
//
// Used by every sink of such text: credctl's error line (cli/process.cpp),
// its direct prints and tables, and the log lines of both programs
// (common/log). Thread-safety: pure functions; no object of namespace scope,
// so credctl's plain lines may call them before main (cli/front.cpp).
#pragma once

#include <string>
#include <string_view>

namespace credctl::text {

// Appends `s` to `out`, escaped as above.
void append_printable(std::string& out, std::string_view s);
// `s` escaped as above.
[[nodiscard]] std::string printable(std::string_view s);

}  // namespace credctl::text
