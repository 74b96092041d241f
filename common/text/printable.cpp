#include "common/text/printable.hpp"

#include "common/text/utf8.hpp"

#include <cstddef>

namespace credctl::text {
namespace {

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
