// The rate limits on audit lines (credctl.toml(5), [audit]): a token bucket
// per uid, so that one uid cannot fill the disk or the journal with its
// lines, nor rotate the rest of the history out of the file. A uid may have
// `burst` lines written at once, then `per_second` more each second; the
// lines over that are counted, not written, and the counts are taken by the
// audit log (take()) to be written as one "suppressed" line per uid. A line
// costs one per KiB started (line_cost()): the caller names its executable,
// and a path of 4 KiB must not buy four lines' room for one; the
// "suppressed" line of a uid is charged to it too (charge()). The audit log
// keeps two limiters: one for denials and one, with a larger burst, for
// allows; the allows' counts are kept apart by caller's executable,
// resource and permission (Tally), so that the "suppressed" line still says
// who read what, and how often. A subordinate uid's lines count as its
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
#include <string>
#include <string_view>
#include <vector>

namespace credctl::audit {

using TimePoint = std::chrono::steady_clock::time_point;
// The time source: steady_now() in credd, a stepped value in tests.
using Clock = std::function<TimePoint()>;
[[nodiscard]] TimePoint steady_now();

struct LimiterSettings {
    // Lines a uid may have written in a row before it is limited; 0: never
    // limited (allows only; denials have at least 1).
    std::uint32_t burst = 20;
    // Lines a limited uid may have written per second.
    std::uint32_t per_second = 2;
    // Buckets kept at once: about 100 bytes each, and their tallies (at
    // most 16 of about 300 bytes, until their line is written).
    std::size_t max_uids = 4096;
};

// What a line of `bytes` costs in a bucket: one per KiB started.
[[nodiscard]] constexpr double line_cost(std::size_t bytes) {
    return bytes == 0 ? 1.0 : static_cast<double>((bytes + 1023) / 1024);
}

// What the lines not written were about: the caller's executable (empty when
// unknown; a path over k_max_tally_exe bytes is cut there, at a character,
// and ends "..."), the resource and the permission, and how many.
struct Tally {
    std::string exe;
    std::string resource;
    std::string permission;
    std::uint64_t count = 0;
};

// Lines of one uid that were not written.
struct Suppressed {
    std::optional<uid_t> uid;  // std::nullopt: the uids of the overflow bucket
    std::uint64_t count = 0;
    // By what they were about, in the order first seen, at most
    // k_max_tallies; the rest of `count` is the sum of no tally.
    std::vector<Tally> tallies;
};

class LineLimiter {
public:
    // Tallies kept per uid and period: a uid that varies its resources
    // cannot grow its "suppressed" line without bound.
    static constexpr std::size_t k_max_tallies = 16;
    static constexpr std::size_t k_max_tally_exe = 256;

    explicit LineLimiter(LimiterSettings settings, Clock clock = steady_now);

    // Whether a line of `uid` that costs `cost` may be written now; when
    // not, it is counted for take().
    [[nodiscard]] bool admit(uid_t uid, double cost = 1);
    // As admit(), and a line not written is also counted in the tally of
    // what it was about.
    [[nodiscard]] bool admit(uid_t uid, double cost, std::string_view exe, std::string_view resource,
                             std::string_view permission);
    // Takes `cost` from the bucket of `uid` (std::nullopt: the overflow
    // bucket) for a line written on its account, as far as one burst below
    // empty.
    void charge(std::optional<uid_t> uid, double cost);
    // Whether lines were counted since the last take().
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
        std::vector<Tally> tallies;
    };
    [[nodiscard]] Bucket fresh(TimePoint now) const;
    void refill(Bucket& b, TimePoint now) const;
    [[nodiscard]] bool idle(Bucket& b, TimePoint now) const;
    void prune(TimePoint now);
    [[nodiscard]] Bucket& bucket_of(uid_t uid, TimePoint now);
    [[nodiscard]] Bucket* counted(uid_t uid, double cost);

    LimiterSettings settings_;
    Clock clock_;
    std::map<uid_t, Bucket> buckets_;
    Bucket overflow_;
    std::uint64_t pending_ = 0;
};

}  // namespace credctl::audit
