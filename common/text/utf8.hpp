// UTF-8 as RFC 3629 defines it, for the writers that must never pass on
// bytes that are not: the log's printable text (printable.hpp) and JSON
// (common/wire/wire.hpp). Thread-safety: pure functions, no object of
// namespace scope (credctl's plain lines may call them before main).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace credctl::text {

// The length of the valid UTF-8 sequence of two to four bytes at s[i], or
// 0: no overlong form, no surrogate, nothing above U+10FFFF (RFC 3629 §4).
// 0 for an ASCII byte too: callers handle those first.
[[nodiscard]] std::size_t utf8_sequence(std::string_view s, std::size_t i);

// `s` with each byte that is part of no valid UTF-8 sequence replaced by
// U+FFFD, the replacement character, one per byte; valid text is kept as
// it is. For text a JSON writer that passes bytes on (Boost.JSON) is given.
[[nodiscard]] std::string valid_utf8(std::string_view s);

// Whether the sequence of `length` bytes at s[i] is a C1 control
// (U+0080-U+009F: 0xc2 followed by 0x80-0x9f), which a terminal may act on.
[[nodiscard]] inline bool c1_control(std::string_view s, std::size_t i, std::size_t length) {
    return length == 2 && static_cast<unsigned char>(s[i]) == 0xc2 && static_cast<unsigned char>(s[i + 1]) <= 0x9f;
}

}  // namespace credctl::text
