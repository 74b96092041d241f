// The fleet-wide single flight of TokenService (token_service_impl.hpp,
// docs/fleet.md "The refresh lock"): one host refreshes a credential, the
// others wait for its lock to go and serve what it committed.
#include "common/log/log.hpp"
#include "daemon/store/refresh_lock.hpp"
#include "daemon/tokens/token_service_impl.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>

namespace credctl::tokens {
namespace {

namespace asio = boost::asio;
using std::chrono::milliseconds;

// How often a waiting host looks at the lock: soon at first (a refresh takes
// tens of milliseconds), then at most twice a second.
constexpr milliseconds k_first_poll{20};
constexpr milliseconds k_max_poll{500};
// Rounds of "wait, then try the lock ourselves" before giving up: each ends
// with a holder that released the lock without a token we can serve.
constexpr int k_max_rounds = 3;

asio::awaitable<void> sleep_for(milliseconds d) {
    asio::steady_timer t(co_await asio::this_coro::executor, d);
    co_await t.async_wait(asio::as_tuple(asio::use_awaitable));
}

// Whether `now` holds an access token that another host's refresh stored
// after we read `before`, good for a caller of the full scope set.
bool refreshed_elsewhere(const store::CredentialRecord& before, const store::CredentialRecord& now,
                         const std::vector<std::string>& scopes, std::int64_t now_epoch) {
    const bool changed = now.rotation != before.rotation || now.access_expires_at != before.access_expires_at ||
                         now.updated_at != before.updated_at;
    return changed && scopes.empty() && now.state == store::CredentialState::valid && !now.access_token.empty() &&
           now.access_expires_at > now_epoch;
}

asio::awaitable<void> renew(store::StoreRunner& runner, store::CredentialKey key, std::shared_ptr<LockKeeper> keeper) {
    store::RefreshLock& lock = *runner.refresh_lock();
    for (;;) {
        keeper->timer.expires_after(std::chrono::duration_cast<milliseconds>(lock.lease()) / 3);
        auto [ec] = co_await keeper->timer.async_wait(asio::as_tuple(asio::use_awaitable));
        if (ec || keeper->stopped) co_return;  // the exchange is over
        auto alive = co_await runner.run([&](store::Store&) { return lock.keep_alive(key); });
        if (keeper->stopped) co_return;
        if (!alive || !*alive) {
            // The commit's revision compare still refuses a late write over
            // a host that took over (etcd_store.hpp).
            log::warning("the refresh lock of " + resource(key) + " was lost during its refresh");
            co_return;
        }
    }
}

}  // namespace

std::shared_ptr<LockKeeper> TokenService::Impl::keep_fleet_lock(const store::CredentialKey& key) {
    if (runner.refresh_lock() == nullptr) return nullptr;
    auto keeper = std::make_shared<LockKeeper>(io);
    asio::co_spawn(io, renew(runner, key, keeper), asio::detached);
    return keeper;
}

asio::awaitable<Result<bool>> TokenService::Impl::take_fleet_lock(const store::CredentialKey& key,
                                                                  store::CredentialRecord& record,
                                                                  const std::vector<std::string>& scopes) {
    store::RefreshLock& lock = *runner.refresh_lock();
    const ProviderConfig* p = provider(key.provider);
    // The holder may retry its provider for retry_deadline, renewing as it goes.
    const auto patience = std::chrono::duration_cast<milliseconds>(p->retry_deadline + 2 * lock.lease());
    for (int round = 0; round < k_max_rounds; ++round) {
        auto taken = co_await runner.run([&](store::Store&) { return lock.try_lock(key); });
        if (!taken) co_return taken.error();
        if (!*taken) {
            milliseconds waited{0}, step = k_first_poll;
            for (;;) {
                auto held = co_await runner.run([&](store::Store&) { return lock.locked(key); });
                if (!held) co_return held.error();
                if (!*held) break;
                if (waited >= patience) {
                    co_return make_error(Errc::provider_unavailable, "another credd has held the refresh lock of " +
                                                                         resource(key) + " for " +
                                                                         std::to_string(waited.count()) + " ms");
                }
                co_await sleep_for(step);
                waited += step;
                step = std::min(step * 2, k_max_poll);
            }
        }
        // Read again under the lock (or after it): the record may have moved.
        auto now = co_await runner.run([&](store::Store& s) { return s.get(key); });
        if (!now) co_return now.error();
        if (!*now) co_return make_error(Errc::not_found, "no credential for " + resource(key));
        if ((*now)->state == store::CredentialState::refresh_pending) {
            // Its holder's lease ended after it may have spent the token.
            co_return co_await forget_interrupted(key, **now);
        }
        if ((*now)->state == store::CredentialState::login_required) {
            co_return make_error(Errc::login_required, "the provider rejected the refresh token of " + resource(key) +
                                                           "; run: credctl login " + key.provider);
        }
        if (refreshed_elsewhere(record, **now, scopes, clock.now_epoch_seconds())) {
            const auto& r = **now;
            cache.put(credential_key(key), CachedToken{r.access_token.clone(), r.access_expires_at, r.scope});
            co_return false;
        }
        if (*taken) {
            record = std::move(**now);
            co_return true;
        }
    }
    co_return make_error(Errc::provider_unavailable,
                         "the refresh of " + resource(key) + " by other credds gave no token; ask again");
}

}  // namespace credctl::tokens
