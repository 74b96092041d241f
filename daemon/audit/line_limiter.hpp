// The rate limits on audit lines (credctl.toml(5), [audit]): a token bucket
// per uid, so that one uid cannot fill the disk or the journal with its
// lines, nor rotate the rest of the history out of the file. A uid may have
// `burst` lines written at once, then `per_second` more each second; the
// lines over that are counted, not written, and the counts are taken by the
// audit log (take()) to be written as one "suppressed" line per uid. The
// audit log keeps two limiters: one for denials and one, with a larger
// burst, for allows; the allows' counts are kept apart by caller's
// executable, resource and permission (Tally), so that the "suppressed" line
// still says who read what, and how often. A subordinate uid's lines count
// as its owner's (peer/subordinate_uids.hpp), and the "suppressed" line
// names the owner.
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
    // Buckets kept at once: about 64 bytes each, and the tallies.
    std::size_t max_uids = 4096;
};

// What the lines not written were about: the caller's executable (empty when
// unknown), the resource and the permission, and how many.
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

    explicit LineLimiter(LimiterSettings settings, Clock clock = steady_now);

    // Whether a line of `uid` may be written now; when not, it is counted
    // for take().
    [[nodiscard]] bool admit(uid_t uid);
    // As admit(), and a line not written is also counted in the tally of
    // what it was about.
    [[nodiscard]] bool admit(uid_t uid, std::string_view exe, std::string_view resource, std::string_view permission);
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
    [[nodiscard]] Bucket* counted(uid_t uid);

    LimiterSettings settings_;
    Clock clock_;
    std::map<uid_t, Bucket> buckets_;
    Bucket overflow_;
    std::uint64_t pending_ = 0;
};

}  // namespace credctl::audit
