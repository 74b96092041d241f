// What TokenService answers a caller over its budget of refreshes
// (refresh_pace.hpp) instead of starting one: the cached token of its scope
// set while one is still valid, otherwise too_many_requests.
#include "common/log/log.hpp"
#include "daemon/peer/subordinate_uids.hpp"
#include "daemon/tokens/token_service_impl.hpp"

#include <algorithm>
#include <set>
#include <string>
#include <string_view>

namespace credctl::tokens {
namespace {

// A paced caller gets a cached token only with this much left: expiry and
// now are whole seconds, so "1 s left" may be a few milliseconds.
constexpr std::int64_t k_paced_min_valid_seconds = 2;

// The space-separated words of `text` (RFC 6749 §3.3 scope strings).
std::set<std::string_view> words(std::string_view text) {
    std::set<std::string_view> out;
    for (std::size_t i = 0; i < text.size();) {
        const auto end = std::min(text.find(' ', i), text.size());
        if (end > i) out.insert(text.substr(i, end - i));
        i = end + 1;
    }
    return out;
}

// Whether every scope of `scope` is one of `granted` (an empty `granted` is
// a grant that named none, which says nothing).
bool within(std::string_view scope, std::string_view granted) {
    if (granted.empty()) return true;
    const auto held = words(granted);
    return std::ranges::all_of(words(scope), [&](std::string_view s) { return held.contains(s); });
}

}  // namespace

Result<TokenService::Impl::Started> TokenService::Impl::paced(const store::CredentialKey& key, const std::string& sk,
                                                              const store::CredentialRecord& rec, std::uint64_t caller,
                                                              RefreshPace::Verdict verdict) {
    using Verdict = RefreshPace::Verdict;
    const auto ck = credential_key(key);
    const bool full = verdict == Verdict::full || verdict == Verdict::first_full;
    const std::string budget = std::to_string(pace.settings().burst) + " at once, then one every " +
                               std::to_string(pace.interval(ck).count()) + " s";
    // Once per run of refusals: a caller that keeps asking is not logged again.
    if (verdict == Verdict::first_refused) {
        log::warning(peer::describe(caller) + " asks for refreshes of " + resource(key) + " faster than " + budget +
                     " (limits.refresh_burst, limits.refresh_interval_seconds); meanwhile it gets cached tokens or "
                     "too_many_requests");
    } else if (verdict == Verdict::first_full) {
        log::warning("credd paces the refreshes of " + std::to_string(RefreshPace::k_max_keys) +
                     " pairs of credential and caller and has room for no more: " + peer::describe(caller) +
                     " gets cached tokens of " + resource(key) + " or too_many_requests until a pair's budget is full");
    }
    // The freshest token credd has for the scope set, if any is still valid:
    // one cached before another process changed the record (another host's
    // refresh, which leaves it valid) only while the record still names its
    // subject (none named: never) and grants its scopes. Otherwise hosts of
    // a fleet serving one credential would make each other's callers
    // refresh at every change, and refuse them.
    const auto now = clock.now_epoch_seconds();
    if (auto hit = cache.get(ck + sk, now, k_paced_min_valid_seconds)) return Started{std::move(*hit)};
    if (auto old = cache.get_retired(ck + sk, now, k_paced_min_valid_seconds);
        old && !rec.subject.empty() && old->subject == rec.subject && within(old->scope, rec.scope)) {
        return Started{std::move(*old)};
    }
    if (full) {
        const std::string what = "credd paces the refreshes of too many callers to refresh " + resource(key);
        return make_error(Errc::too_many_requests, what + " now; ask again in a few seconds");
    }
    const auto wait = std::max<std::int64_t>(pace.wait(ck, caller, clock.steady_now()).count(), 1);
    const std::string why = "too many refreshes of " + resource(key) + " asked by this caller (" + budget + ")";
    const std::string when = "ask again in " + std::to_string(wait) + " s";
    return make_error(Errc::too_many_requests,
                      why + ", and no token of it for the scope set asked is still valid; " + when);
}

}  // namespace credctl::tokens
