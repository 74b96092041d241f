#include "daemon/tokens/backoff.hpp"

#include <sodium.h>

#include <algorithm>

namespace credctl::tokens {

std::chrono::milliseconds backoff_delay(const BackoffPolicy& policy, unsigned retry, std::uint32_t random) {
    // 2^20 times any sane initial delay is beyond any cap: stop doubling.
    const unsigned doublings = std::min(retry == 0 ? 0U : retry - 1, 20U);
    const auto base = std::min<std::int64_t>(policy.cap.count(), policy.initial.count() << doublings);
    const auto half = base / 2;
    const auto spread = static_cast<std::uint64_t>(base - half + 1);
    return std::chrono::milliseconds(half + static_cast<std::int64_t>(random % spread));
}

std::chrono::milliseconds backoff_delay(const BackoffPolicy& policy, unsigned retry) {
    return backoff_delay(policy, retry, randombytes_random());
}

}  // namespace credctl::tokens
