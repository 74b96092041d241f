#include "common/text/utf8.hpp"

namespace credctl::text {
namespace {

bool continuation(unsigned char c) {
    return c >= 0x80 && c <= 0xbf;
}

}  // namespace

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

std::string valid_utf8(std::string_view s) {
    std::string out;
    out.reserve(s.size());
    for (std::size_t i = 0; i < s.size();) {
        const auto c = static_cast<unsigned char>(s[i]);
        const std::size_t n = c < 0x80 ? 1 : utf8_sequence(s, i);
        if (n == 0) {
            out += "\xef\xbf\xbd";
            ++i;
        } else {
            out.append(s, i, n);
            i += n;
        }
    }
    return out;
}

}  // namespace credctl::text
