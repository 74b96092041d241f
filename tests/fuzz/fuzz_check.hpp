// What the fuzz targets share: a property check that aborts with the broken
// property named, so that libFuzzer records the input as a crash, and a
// reader of the bytes libFuzzer hands over.
//
// Used by tests/fuzz/*_fuzz.cpp only. Thread-safety: none needed.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

namespace credctl::fuzz {

// A property that must hold for every input: aborts naming it, and what
// was seen (`detail`, e.g. an error message), when not.
inline void check(bool holds, const char* property, std::string_view detail = {}) {
    if (holds) return;
    std::fprintf(stderr, "fuzz property broken: %s\n", property);
    if (!detail.empty()) std::fprintf(stderr, "  seen: %.*s\n", static_cast<int>(detail.size()), detail.data());
    std::abort();
}

inline std::string_view bytes(const std::uint8_t* data, std::size_t size) {
    return {reinterpret_cast<const char*>(data), size};
}

// Splits off the first byte, which picks one of several parsers of a target.
// Returns false for an empty input.
inline bool take_selector(std::string_view& in, unsigned& selector) {
    if (in.empty()) return false;
    selector = static_cast<unsigned char>(in.front());
    in.remove_prefix(1);
    return true;
}

// The body of a target with two parsers: the input's first byte picks one,
// the rest is its input.
inline int one_of_two(const std::uint8_t* data, std::size_t size, void (*even)(std::string_view),
                      void (*odd)(std::string_view)) {
    auto in = bytes(data, size);
    unsigned selector = 0;
    if (!take_selector(in, selector)) return 0;
    (selector % 2 == 0 ? even : odd)(in);
    return 0;
}

// The round-trip property of a decoder with its encoder: whatever `parse`
// accepts, `emit` writes as text that `parse` accepts again and that
// encodes to the same text (a fixed point after one trip).
template <class Parse, class Emit>
void round_trips(std::string_view in, const Parse& parse, const Emit& emit, const char* what) {
    auto first = parse(in);
    if (!first) return;
    // An encoder returns a std::string, or a SecretString for a body that
    // carries a secret.
    const auto as_text = [](std::string_view text) { return std::string(text); };
    const std::string text = as_text(emit(*first));
    auto second = parse(text);
    check(second.has_value(), what);
    check(as_text(emit(*second)) == text, what);
}

}  // namespace credctl::fuzz
