// RefreshPace: how often one caller may have credd ask the provider to
// refresh one credential. Without it, any uid allowed a token could make
// every request an upstream refresh (a `min_valid` over the token's
// lifetime, a new scope set each time, or a scope the provider refuses)
// and each a durable write: the provider sees credd's client id flood it,
// and may throttle it for every user of the host.
//
// The budget is kept per (credential, caller account): `burst` refreshes
// at once, then one per interval (a token bucket that gives one back per
// interval). The interval is `interval`, or half the lifetime of the
// access tokens the provider gives for the credential when that is shorter
// (at least a second), so that tokens shorter than the interval are still
// refreshed before they expire, however long the budget has been spent.
// That lifetime is the last one the provider gave this process (learn()),
// kept across logins and removals, never one a login wrote; until the
// first, the interval is `interval`.
//
// Keyed by the caller's account (peer::Account: a uid, or one user's
// subordinate uids together), a hostile caller spends its own budget only,
// never the owner's or another caller's. Joining a refresh already in
// flight is free, and so is a token good enough from the cache or the
// store; a refresh that fails is charged like one that succeeds, and a
// login does not give the budget back (it is kept here, in memory, not in
// the record). On a fleet each host keeps its own.
//
// Memory: a key whose budget is full again is forgotten (swept as the map
// grows). At most k_max_keys keys and as many lifetimes are kept: a key
// beyond that is refused (Verdict::full) until a sweep frees room, a
// lifetime beyond that is not learned. Keys exist only for credentials
// found in the store and callers the policy let through.
//
// Thread-safety: one thread (the daemon's I/O thread).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>

namespace credctl::tokens {

struct PaceSettings {
    std::uint32_t burst = 10;           // refreshes at once, at least 1
    std::chrono::seconds interval{30};  // then one per interval; 0: unpaced
};

class RefreshPace {
public:
    using Time = std::chrono::steady_clock::time_point;
    // 65,536 (credential, caller) pairs refreshing at once: far more than a
    // host has, and a few MiB.
    static constexpr std::size_t k_max_keys = std::size_t{1} << 16;

    explicit RefreshPace(PaceSettings settings = {});

    enum class Verdict {
        allowed,
        refused,        // over the budget
        first_refused,  // over the budget, the first time since the last allowed one (worth a log line)
        full,           // no room for another key
        first_full,     // no room, the first time since there was (worth a log line)
    };
    // Takes one refresh of `credential` for `account` at `now` when the
    // budget allows; takes nothing when not.
    Verdict take(const std::string& credential, std::uint64_t account, Time now);
    // The lifetime of the access token the provider just gave for
    // `credential` (the interval is at most half of it from then on).
    void learn(const std::string& credential, std::chrono::seconds lifetime);
    // The interval of `credential` now.
    [[nodiscard]] std::chrono::seconds interval(const std::string& credential) const;
    // How long from `now` until take() allows one (zero when it would now).
    [[nodiscard]] std::chrono::seconds wait(const std::string& credential, std::uint64_t account, Time now) const;
    [[nodiscard]] const PaceSettings& settings() const { return settings_; }
    [[nodiscard]] std::size_t keys() const { return buckets_.size(); }

private:
    struct Bucket {
        double spent = 0;              // refreshes counted against the burst at `at`
        Time at;                       // when `spent` was counted
        std::chrono::seconds step{1};  // the interval then: one refresh is given back per step
        bool warned = false;           // refused since the last allowed one
        [[nodiscard]] double spent_at(Time now) const;
    };
    static std::string key(const std::string& credential, std::uint64_t account);
    void sweep(Time now);

    // Below this many keys no sweep is worth its walk.
    static constexpr std::size_t k_first_sweep = 1024;

    PaceSettings settings_;
    std::map<std::string, Bucket> buckets_;
    std::map<std::string, std::chrono::seconds> lifetimes_;  // by credential
    std::size_t sweep_at_ = k_first_sweep;                   // sweep when the map reaches this size
    bool full_warned_ = false;                               // refused for room since the last sweep that found some
};

}  // namespace credctl::tokens
