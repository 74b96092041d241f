#include "daemon/audit/denial_limiter.hpp"

#include <algorithm>
#include <iterator>

namespace credctl::audit {

TimePoint steady_now() {
    return std::chrono::steady_clock::now();
}

DenialLimiter::DenialLimiter(LimiterSettings settings, Clock clock)
    : settings_(settings), clock_(std::move(clock)), overflow_(fresh(clock_())) {}

DenialLimiter::Bucket DenialLimiter::fresh(TimePoint now) const {
    return Bucket{static_cast<double>(settings_.burst), now, 0};
}

void DenialLimiter::refill(Bucket& b, TimePoint now) const {
    if (now <= b.refilled) return;
    const double seconds = std::chrono::duration<double>(now - b.refilled).count();
    b.tokens = std::min(static_cast<double>(settings_.burst), b.tokens + seconds * settings_.per_second);
    b.refilled = now;
}

// A full bucket with nothing counted is the same as no bucket.
bool DenialLimiter::idle(Bucket& b, TimePoint now) const {
    refill(b, now);
    return b.suppressed == 0 && b.tokens >= static_cast<double>(settings_.burst);
}

void DenialLimiter::prune(TimePoint now) {
    for (auto it = buckets_.begin(); it != buckets_.end();) {
        it = idle(it->second, now) ? buckets_.erase(it) : std::next(it);
    }
}

DenialLimiter::Bucket& DenialLimiter::bucket_of(uid_t uid, TimePoint now) {
    if (auto it = buckets_.find(uid); it != buckets_.end()) return it->second;
    if (buckets_.size() >= settings_.max_uids) prune(now);
    if (buckets_.size() >= settings_.max_uids) return overflow_;
    return buckets_.emplace(uid, fresh(now)).first->second;
}

bool DenialLimiter::admit(uid_t uid) {
    const TimePoint now = clock_();
    Bucket& b = bucket_of(uid, now);
    refill(b, now);
    if (b.tokens >= 1) {
        b.tokens -= 1;
        return true;
    }
    ++b.suppressed;
    ++pending_;
    return false;
}

std::vector<Suppressed> DenialLimiter::take() {
    std::vector<Suppressed> out;
    for (auto& [uid, b] : buckets_) {
        if (b.suppressed == 0) continue;
        out.push_back({uid, b.suppressed});
        b.suppressed = 0;
    }
    if (overflow_.suppressed != 0) {
        out.push_back({std::nullopt, overflow_.suppressed});
        overflow_.suppressed = 0;
    }
    pending_ = 0;
    prune(clock_());
    return out;
}

}  // namespace credctl::audit
