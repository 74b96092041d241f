// round_trip(): what a common/wire parse_* function reads back from
// to_json(value), the first step of every wire type's test. A value that
// does not parse back fails the test (naming the parser's message) and gives
// a default T to the rest of it. Test-only; pure.
#pragma once

#include <gtest/gtest.h>

#include <utility>

namespace credctl::test {

template <class T, class Parse>
T round_trip(const T& value, Parse parse) {
    auto back = parse(to_json(value));
    EXPECT_TRUE(back.has_value()) << back.error().message;
    return back.has_value() ? std::move(*back) : T{};
}

}  // namespace credctl::test
