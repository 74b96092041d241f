#include "common/text/printable.hpp"

#include <cstddef>

namespace credctl::text {
namespace {

bool continuation(unsigned char c) {
    return c >= 0x80 && c <= 0xbf;
}

// The length of the valid UTF-8 sequence of two to four bytes at s[i], or
// 0: no overlong form, no surrogate, nothing above U+10FFFF (RFC 3629 §4).
std::size_t utf8_sequence(std::string_view s, std::size_t i) {
    const auto at = [&](std::size_t k) -> unsigned char {
        if (i + k >= s.size()) return 0;
        return static_cast<unsigned char>(s[i + k]);
    };
    const unsigned char c = at(0);
    const unsigned char c1 = at(1);
    if (c >= 0xc2 && c <= 0xdf) return continuation(c1) ? 2 : 0;
    if (c >= 0xe0 && c <= 0xef) {
        const bool second = c == 0xe0   ? (c1 >= 0xa0 && c1 <= 0xbf)
                            : c == 0xed ? (c1 >= 0x80 && c1 <= 0x9f)
                                        : continuation(c1);
        return second && continuation(at(2)) ? 3 : 0;
    }
    if (c >= 0xf0 && c <= 0xf4) {
        const bool second = c == 0xf0   ? (c1 >= 0x90 && c1 <= 0xbf)
                            : c == 0xf4 ? (c1 >= 0x80 && c1 <= 0x8f)
                                        : continuation(c1);
        return second && continuation(at(2)) && continuation(at(3)) ? 4 : 0;
    }
    return 0;
}

// U+0080-U+009F, the C1 controls: 0xc2 followed by 0x80-0x9f.
bool c1_control(std::string_view s, std::size_t i, std::size_t length) {
    return length == 2 && static_cast<unsigned char>(s[i]) == 0xc2 && static_cast<unsigned char>(s[i + 1]) <= 0x9f;
}

void append_hex(std::string& out, unsigned char c) {
    static constexpr char k_digits[] = "0123456789abcdef";
    out += "\\x";
    out += k_digits[c >> 4];
    out += k_digits[c & 0x0f];
}

}  // namespace

void append_printable(std::string& out, std::string_view s) {
    std::size_t i = 0;
    while (i < s.size()) {
        // A run of printable ASCII (most text) is appended at once.
        std::size_t run = i;
        while (run < s.size() && s[run] >= 0x20 && s[run] < 0x7f) ++run;
        out.append(s, i, run - i);
        if ((i = run) == s.size()) break;
        const auto c = static_cast<unsigned char>(s[i]);
        const std::size_t length = c < 0x80 ? 0 : utf8_sequence(s, i);
        if (length == 0 || c1_control(s, i, length)) {
            const std::size_t n = length == 0 ? 1 : length;
            for (std::size_t k = 0; k < n; ++k) append_hex(out, static_cast<unsigned char>(s[i + k]));
            i += n;
        } else {
            out.append(s, i, length);
            i += length;
        }
    }
}

std::string printable(std::string_view s) {
    std::string out;
    out.reserve(s.size());
    append_printable(out, s);
    return out;
}

}  // namespace credctl::text
