#include "daemon/tokens/backoff.hpp"

#include <gtest/gtest.h>

#include <cstdint>

namespace credctl::tokens {
namespace {

using std::chrono::milliseconds;

TEST(Backoff, GrowsExponentiallyWithinEqualJitterBounds) {
    const BackoffPolicy p{milliseconds(250), milliseconds(4000)};
    const std::int64_t bases[] = {250, 500, 1000, 2000, 4000, 4000, 4000};
    for (unsigned retry = 1; retry <= 7; ++retry) {
        const auto base = bases[retry - 1];
        EXPECT_EQ(backoff_delay(p, retry, 0).count(), base / 2) << retry;  // lowest
        EXPECT_EQ(backoff_delay(p, retry, static_cast<std::uint32_t>(base - base / 2)).count(), base)
            << retry;  // highest
    }
}

TEST(Backoff, JitterSpreadsDelaysAndNeverPassesTheCap) {
    const BackoffPolicy p{milliseconds(250), milliseconds(4000)};
    std::int64_t lo = 1 << 30, hi = 0;
    for (int i = 0; i < 2000; ++i) {
        const auto d = backoff_delay(p, 10).count();
        lo = std::min(lo, d);
        hi = std::max(hi, d);
    }
    EXPECT_GE(lo, 2000);
    EXPECT_LE(hi, 4000);
    EXPECT_GT(hi - lo, 1000);  // not one fixed value
}

TEST(Backoff, HugeRetryNumbersDoNotOverflow) {
    const BackoffPolicy p{milliseconds(250), milliseconds(4000)};
    EXPECT_LE(backoff_delay(p, 1000000, 0xffffffffU).count(), 4000);
    EXPECT_GE(backoff_delay(p, 1000000, 0).count(), 2000);
}

}  // namespace
}  // namespace credctl::tokens
