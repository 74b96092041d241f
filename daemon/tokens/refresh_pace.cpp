#include "daemon/tokens/refresh_pace.hpp"

#include <algorithm>
#include <cmath>

namespace credctl::tokens {

RefreshPace::RefreshPace(PaceSettings settings) : settings_(settings) {
    settings_.burst = std::max<std::uint32_t>(settings_.burst, 1);
}

std::string RefreshPace::key(const std::string& credential, std::uint64_t account) {
    std::string k = credential;
    for (int shift = 56; shift >= 0; shift -= 8) k.push_back(static_cast<char>((account >> shift) & 0xff));
    return k;
}

double RefreshPace::Bucket::spent_at(Time now) const {
    const double given_back = std::chrono::duration<double>(now - at) / step;
    return std::max(0.0, spent - given_back);
}

// Never above k_max_keys: at the cap, each new key sweeps, so room made by
// time is found.
void RefreshPace::sweep(Time now) {
    std::erase_if(buckets_, [now](const auto& entry) { return entry.second.spent_at(now) <= 0; });
    sweep_at_ = std::clamp(2 * buckets_.size(), k_first_sweep, k_max_keys);
    if (buckets_.size() < k_max_keys) full_warned_ = false;
}

void RefreshPace::learn(const std::string& credential, std::chrono::seconds lifetime) {
    if (settings_.interval.count() <= 0) return;
    if (auto it = lifetimes_.find(credential); it != lifetimes_.end()) {
        it->second = lifetime;
    } else if (lifetimes_.size() < k_max_keys) {
        lifetimes_.emplace(credential, lifetime);
    }
}

std::chrono::seconds RefreshPace::interval(const std::string& credential) const {
    const auto it = lifetimes_.find(credential);
    if (it == lifetimes_.end()) return settings_.interval;
    return std::clamp(it->second / 2, std::chrono::seconds(1), settings_.interval);
}

RefreshPace::Verdict RefreshPace::take(const std::string& credential, std::uint64_t account, Time now) {
    if (settings_.interval.count() <= 0) return Verdict::allowed;
    const std::string k = key(credential, account);
    auto it = buckets_.find(k);
    if (it == buckets_.end()) {
        if (buckets_.size() >= sweep_at_) sweep(now);
        if (buckets_.size() >= k_max_keys) {
            const bool first = !full_warned_;
            full_warned_ = true;
            return first ? Verdict::first_full : Verdict::full;
        }
        it = buckets_.emplace(k, Bucket{0, now, settings_.interval, false}).first;
    }
    Bucket& b = it->second;
    // A shorter interval learned since the last take refills that time too.
    b.step = std::min(b.step, interval(credential));
    b.spent = b.spent_at(now);
    b.at = now;
    b.step = interval(credential);
    if (b.spent + 1 > settings_.burst) {
        const bool first = !b.warned;
        b.warned = true;
        return first ? Verdict::first_refused : Verdict::refused;
    }
    b.spent += 1;
    b.warned = false;
    return Verdict::allowed;
}

std::chrono::seconds RefreshPace::wait(const std::string& credential, std::uint64_t account, Time now) const {
    if (settings_.interval.count() <= 0) return std::chrono::seconds::zero();
    const auto it = buckets_.find(key(credential, account));
    if (it == buckets_.end()) return std::chrono::seconds::zero();
    const double over = it->second.spent_at(now) + 1 - settings_.burst;
    if (over <= 0) return std::chrono::seconds::zero();
    // A hair under: 29.000000001 s of floating point is 29 s.
    const double seconds = over * static_cast<double>(it->second.step.count()) - 1e-6;
    return std::chrono::seconds(static_cast<std::int64_t>(std::ceil(seconds)));
}

}  // namespace credctl::tokens
