// Backoff: how long credd waits between attempts of one upstream refresh
// (docs/api.md "Refresh engine": transient failures retried with backoff
// and jitter).
//
// Exponential growth from `initial` up to `cap`, with "equal jitter": the
// delay is uniform in [base/2, base]. Jitter spreads the retries of many
// credentials whose refreshes failed at the same moment (a provider outage),
// and the lower half keeps a minimum spacing so one credential cannot hammer
// a provider that is coming back.
//
// Used by TokenService. Thread-safety: pure functions.
#pragma once

#include <chrono>
#include <cstdint>

namespace credctl::tokens {

struct BackoffPolicy {
    std::chrono::milliseconds initial{250};
    std::chrono::milliseconds cap{4000};
};

// The delay before retry number `retry` (1 for the first retry). `random` is
// any 32-bit value; the same inputs give the same delay (for tests).
[[nodiscard]] std::chrono::milliseconds backoff_delay(const BackoffPolicy& policy, unsigned retry,
                                                      std::uint32_t random);

// backoff_delay() with a random value from libsodium.
[[nodiscard]] std::chrono::milliseconds backoff_delay(const BackoffPolicy& policy, unsigned retry);

}  // namespace credctl::tokens
