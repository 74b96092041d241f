// The rate limit on audit lines for denials (credctl.toml(5), [audit]): a
// token bucket per uid, so that a uid that floods credd with denied requests
// cannot fill the disk or the journal with their lines. A uid may have
// `burst` denial lines written at once, then `per_second` more each second;
// the denials over that are counted, not written, and the counts are taken
// by the audit log (take()) to be written as one "suppressed" line per uid.
// Allows never pass through here. A subordinate uid's denials count as its
// owner's (peer/subordinate_uids.hpp), and the "suppressed" line names the
// owner.
//
// The table of buckets is bounded: idle buckets (full, nothing counted) are
// dropped by take() and when the table is full; a uid that finds the table
// full of busy buckets shares one overflow bucket with every other such uid.
//
// Used by AuditLog. Time comes from a Clock, so that tests step it.
// Thread-safety: none; one owner, on the I/O thread.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <vector>

namespace credctl::audit {

using TimePoint = std::chrono::steady_clock::time_point;
// The time source: steady_now() in credd, a stepped value in tests.
using Clock = std::function<TimePoint()>;
[[nodiscard]] TimePoint steady_now();

struct LimiterSettings {
    // Denial lines a uid may have written in a row before it is limited.
    std::uint32_t burst = 20;
    // Denial lines a limited uid may have written per second.
    std::uint32_t per_second = 2;
    // Buckets kept at once: about 64 bytes each.
    std::size_t max_uids = 4096;
};

// Denials of one uid that were not written.
struct Suppressed {
    std::optional<uid_t> uid;  // std::nullopt: the uids of the overflow bucket
    std::uint64_t denials = 0;
};

class DenialLimiter {
public:
    explicit DenialLimiter(LimiterSettings settings, Clock clock = steady_now);

    // Whether the line of a denial to `uid` may be written now; when not,
    // the denial is counted for take().
    [[nodiscard]] bool admit(uid_t uid);
    // Whether denials were counted since the last take().
    [[nodiscard]] bool pending() const { return pending_ > 0; }
    // The counts since the last take(), by uid (overflow last), and resets
    // them; drops idle buckets.
    [[nodiscard]] std::vector<Suppressed> take();
    // Buckets held, overflow excluded.
    [[nodiscard]] std::size_t tracked() const { return buckets_.size(); }
    [[nodiscard]] const LimiterSettings& settings() const { return settings_; }

private:
    struct Bucket {
        double tokens = 0;
        TimePoint refilled{};
        std::uint64_t suppressed = 0;
    };
    [[nodiscard]] Bucket fresh(TimePoint now) const;
    void refill(Bucket& b, TimePoint now) const;
    [[nodiscard]] bool idle(Bucket& b, TimePoint now) const;
    void prune(TimePoint now);
    [[nodiscard]] Bucket& bucket_of(uid_t uid, TimePoint now);

    LimiterSettings settings_;
    Clock clock_;
    std::map<uid_t, Bucket> buckets_;
    Bucket overflow_;
    std::uint64_t pending_ = 0;
};

}  // namespace credctl::audit
