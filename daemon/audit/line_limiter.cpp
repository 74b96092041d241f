#include "daemon/audit/line_limiter.hpp"

#include <algorithm>
#include <iterator>

namespace credctl::audit {

TimePoint steady_now() {
    return std::chrono::steady_clock::now();
}

LineLimiter::LineLimiter(LimiterSettings settings, Clock clock)
    : settings_(settings), clock_(std::move(clock)), overflow_(fresh(clock_())) {}

LineLimiter::Bucket LineLimiter::fresh(TimePoint now) const {
    return Bucket{static_cast<double>(settings_.burst), now, 0, {}};
}

void LineLimiter::refill(Bucket& b, TimePoint now) const {
    if (now <= b.refilled) return;
    const double seconds = std::chrono::duration<double>(now - b.refilled).count();
    b.tokens = std::min(static_cast<double>(settings_.burst), b.tokens + seconds * settings_.per_second);
    b.refilled = now;
}

// A full bucket with nothing counted is the same as no bucket.
bool LineLimiter::idle(Bucket& b, TimePoint now) const {
    refill(b, now);
    return b.suppressed == 0 && b.tokens >= static_cast<double>(settings_.burst);
}

void LineLimiter::prune(TimePoint now) {
    for (auto it = buckets_.begin(); it != buckets_.end();) {
        it = idle(it->second, now) ? buckets_.erase(it) : std::next(it);
    }
}

LineLimiter::Bucket& LineLimiter::bucket_of(uid_t uid, TimePoint now) {
    if (auto it = buckets_.find(uid); it != buckets_.end()) return it->second;
    if (buckets_.size() >= settings_.max_uids) prune(now);
    if (buckets_.size() >= settings_.max_uids) return overflow_;
    return buckets_.emplace(uid, fresh(now)).first->second;
}

// The bucket of `uid` when its line is over the limit (counted), else
// nullptr (the line is written).
LineLimiter::Bucket* LineLimiter::counted(uid_t uid, double cost) {
    const TimePoint now = clock_();
    Bucket& b = bucket_of(uid, now);
    refill(b, now);
    if (b.tokens >= cost) {
        b.tokens -= cost;
        return nullptr;
    }
    ++b.suppressed;
    ++pending_;
    return &b;
}

bool LineLimiter::admit(uid_t uid, double cost) {
    return counted(uid, cost) == nullptr;
}

bool LineLimiter::admit(uid_t uid, double cost, std::string_view exe, std::string_view resource,
                        std::string_view permission) {
    Bucket* b = counted(uid, cost);
    if (b == nullptr) return true;
    std::string cut;
    if (exe.size() > k_max_tally_exe) {
        // Not inside a character: back over at most three continuation
        // bytes (a run of more is no character, and is cut anywhere).
        std::size_t end = k_max_tally_exe;
        while (end > k_max_tally_exe - 3 && (static_cast<unsigned char>(exe[end]) & 0xC0) == 0x80) --end;
        if ((static_cast<unsigned char>(exe[end]) & 0xC0) == 0x80) end = k_max_tally_exe;
        cut = std::string(exe.substr(0, end)) + "...";
        exe = cut;
    }
    for (auto& t : b->tallies) {
        if (t.resource == resource && t.permission == permission && t.exe == exe) {
            ++t.count;
            return false;
        }
    }
    if (b->tallies.size() < k_max_tallies) {
        b->tallies.push_back({std::string(exe), std::string(resource), std::string(permission), 1});
    }
    return false;
}

void LineLimiter::charge(std::optional<uid_t> uid, double cost) {
    const TimePoint now = clock_();
    Bucket& b = uid ? bucket_of(*uid, now) : overflow_;
    refill(b, now);
    b.tokens = std::max(b.tokens - cost, -static_cast<double>(settings_.burst));
}

std::vector<Suppressed> LineLimiter::take() {
    std::vector<Suppressed> out;
    for (auto& [uid, b] : buckets_) {
        if (b.suppressed == 0) continue;
        out.push_back({uid, b.suppressed, std::move(b.tallies)});
        b.suppressed = 0;
        b.tallies.clear();
    }
    if (overflow_.suppressed != 0) {
        out.push_back({std::nullopt, overflow_.suppressed, std::move(overflow_.tallies)});
        overflow_.suppressed = 0;
        overflow_.tallies.clear();
    }
    pending_ = 0;
    prune(clock_());
    return out;
}

}  // namespace credctl::audit
