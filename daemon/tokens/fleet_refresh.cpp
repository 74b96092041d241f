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
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>

namespace credctl::tokens {
namespace {

namespace asio = boost::asio;
using std::chrono::milliseconds;

// How often a waiting host looks at the lock when the change feed says
// nothing: soon at first (a refresh takes tens of milliseconds), then at
// most twice a second. The holder's commit cuts the wait short through the
// feed; the lock ending with its lease (a dead holder) is seen by looking.
constexpr milliseconds k_first_poll{20};
constexpr milliseconds k_max_poll{500};
// Rounds of "wait, then try the lock ourselves" before giving up: each ends
// with a holder that released the lock without a token we can serve.
constexpr int k_max_rounds = 3;
// How long a settling of lost marks sleeps between changes (any change
// wakes it at once).
constexpr milliseconds k_settle_wait{60'000};

// Sleeps `d`, or less when the change feed wakes `w` (its count moves past
// `seen`).
asio::awaitable<void> nap(std::shared_ptr<FleetWaiters> w, milliseconds d, std::uint64_t seen) {
    if (w->changes != seen) co_return;
    asio::steady_timer t(co_await asio::this_coro::executor, d);
    w->sleeping.insert(&t);
    co_await t.async_wait(asio::as_tuple(asio::use_awaitable));
    w->sleeping.erase(&t);
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

// Settles the lock-and-marks whose answer was lost (store::RefreshLock::
// settle()) once a change arrives through the feed: proof that the cluster
// commits again, and perhaps the lost mark itself landing. Not before: while
// the cluster cannot answer, each attempt would hold the store thread for up
// to the request timeout, in front of callers that need the store. (A later
// call on the same credential settles it first anyway.) The changes counted
// are those since each mark was sent (FleetWaiters::settle_from): a mark
// that landed before its call gave up has its change counted already. At
// most one attempt per change: a change reported just before quorum was
// lost may set one off, and that one waits out the request timeout.
asio::awaitable<void> settle_when_committing(store::StoreRunner& runner, std::shared_ptr<FleetWaiters> w) {
    store::RefreshLock& lock = *runner.refresh_lock();
    while (!w->stopped) {
        if (w->changes == w->settle_from) {
            co_await nap(w, k_settle_wait, w->settle_from);
            continue;
        }
        const std::uint64_t lost = w->lost_marks;  // one lost while settling is settled next time round
        w->settle_from = w->changes;               // lowered by marks lost meanwhile (settle_lost_marks())
        auto settled = co_await runner.run([&](store::Store&) { return lock.settle(); });
        if (settled && *settled && w->lost_marks == lost) break;
    }
    w->settling = false;
}

// Renews the lease of the lock on `key` while the exchange runs, until
// keeper->stop() or etcd answers that the lease is gone. A renewal that
// fails (no answer within the request timeout: a leader change, quorum lost
// for a moment, a member frozen) says nothing about the lease, which etcd
// may well keep (a new leader even extends every lease by its TTL): it is
// asked again after a tenth of the lease, within what is left of it when
// the failure was quick, never in a tight loop when failures come at once.
// Giving up there would let the lease run out under a refresh that goes on,
// and its commit would then be refused and the rotated token lost.
asio::awaitable<void> renew(store::StoreRunner& runner, store::CredentialKey key, std::shared_ptr<LockKeeper> keeper) {
    store::RefreshLock& lock = *runner.refresh_lock();
    const auto lease = std::chrono::duration_cast<milliseconds>(lock.lease());
    // The lock may have been taken under a lease renewed a while ago.
    auto wait = co_await runner.run([&](store::Store&) { return lock.renew_in(key); });
    bool failing = false;
    while (!keeper->stopped) {
        keeper->timer.expires_after(wait);
        auto [ec] = co_await keeper->timer.async_wait(asio::as_tuple(asio::use_awaitable));
        if (ec || keeper->stopped) co_return;  // the exchange is over
        auto alive = co_await runner.run([&](store::Store&) { return lock.keep_alive(key); });
        if (keeper->stopped) co_return;
        if (alive && !*alive) {
            // The commit's revision compare still refuses a late write over
            // a host that took over (etcd_store.hpp).
            log::warning("the refresh lock of " + resource(key) + " was lost during its refresh");
            co_return;
        }
        if (!alive && !failing) {
            log::warning("renewing the refresh lock of " + resource(key) + ": " + alive.error().message +
                         "; trying again every " + std::to_string((lease / 10).count()) + " ms");
        } else if (alive && failing) {
            log::info("the refresh lock of " + resource(key) + " was renewed again");
        }
        failing = !alive;
        wait = failing ? lease / 10 : lease / 3;
    }
}

}  // namespace

std::shared_ptr<LockKeeper> TokenService::Impl::keep_fleet_lock(const store::CredentialKey& key) {
    if (runner.refresh_lock() == nullptr) return nullptr;
    auto keeper = std::make_shared<LockKeeper>(io);
    asio::co_spawn(io, renew(runner, key, keeper), asio::detached);
    return keeper;
}

void TokenService::Impl::settle_lost_marks(std::uint64_t seen) {
    const auto w = fleet_waiters();
    ++w->lost_marks;
    w->settle_from = w->settling ? std::min(w->settle_from, seen) : seen;
    if (w->settling || w->stopped) return;
    w->settling = true;
    asio::co_spawn(io, settle_when_committing(runner, w), asio::detached);
}

void TokenService::Impl::stop_waiting() {
    if (!waiters_) return;
    waiters_->stopped = true;
    for (auto* t : waiters_->sleeping) t->cancel();
    // The feed calls these waiters no more, whenever their last owner goes.
    if (waiters_->feed != nullptr) waiters_->feed->wake_on_change({});
    waiters_->feed = nullptr;
}

std::shared_ptr<FleetWaiters> TokenService::Impl::fleet_waiters() {
    if (!waiters_) waiters_ = std::make_shared<FleetWaiters>();
    store::ChangeFeed* feed = runner.change_feed();
    if (waiters_->feed == nullptr && feed != nullptr) {
        std::weak_ptr<FleetWaiters> weak = waiters_;
        feed->wake_on_change([&io = io, weak] {
            asio::post(io, [weak] {
                if (auto w = weak.lock()) w->wake();
            });
        });
        waiters_->feed = feed;
    }
    return waiters_;
}

asio::awaitable<Result<bool>> TokenService::Impl::take_fleet_lock(const store::CredentialKey& key,
                                                                  store::CredentialRecord& record,
                                                                  const std::vector<std::string>& scopes) {
    using Outcome = store::MarkResult::Outcome;
    store::RefreshLock& lock = *runner.refresh_lock();
    const ProviderConfig* p = provider(key.provider);
    // The holder may retry its provider for retry_deadline, renewing as it goes.
    const auto patience = std::chrono::duration_cast<milliseconds>(p->retry_deadline + 2 * lock.lease());
    const auto waiters = fleet_waiters();
    for (int round = 0; round < k_max_rounds; ++round) {
        const std::uint64_t seen = waiters->changes;  // a commit from now on wakes the wait below
        const store::CredentialState read_state = record.state;
        record.state = store::CredentialState::refresh_pending;
        auto marked = co_await runner.run([&](store::Store&) { return lock.lock_and_mark(key, record); });
        if (marked && marked->outcome == Outcome::marked) co_return true;
        record.state = read_state;
        if (!marked) {
            settle_lost_marks(seen);
            co_return marked.error();
        }
        std::optional<store::CredentialRecord> now = std::move(marked->current);
        if (marked->outcome == Outcome::held) {
            auto after = co_await wait_for_holder(key, record, scopes, patience, seen);
            if (!after) co_return after.error();
            now = std::move(*after);
        }
        // The lock is free now (or was when the record was read).
        if (!now) co_return make_error(Errc::not_found, "no credential for " + resource(key));
        if (now->state == store::CredentialState::refresh_pending) {
            // Its holder's lease ended after it may have spent the token.
            co_return co_await forget_interrupted(key, *now);
        }
        if (now->state == store::CredentialState::login_required) {
            co_return make_error(Errc::login_required, "the provider rejected the refresh token of " + resource(key) +
                                                           "; run: credctl login " + key.provider);
        }
        if (refreshed_elsewhere(record, *now, scopes, clock.now_epoch_seconds())) {
            cache.put(credential_key(key),
                      CachedToken{now->access_token.clone(), now->access_expires_at, now->scope, now->subject});
            co_return false;
        }
        record = std::move(*now);  // not refreshed: try the lock on what is stored now
    }
    co_return make_error(Errc::provider_unavailable,
                         "the refresh of " + resource(key) + " by other credds gave no token; ask again");
}

asio::awaitable<Result<std::optional<store::CredentialRecord>>> TokenService::Impl::wait_for_holder(
    const store::CredentialKey& key, const store::CredentialRecord& before, const std::vector<std::string>& scopes,
    milliseconds patience, std::uint64_t seen) {
    store::RefreshLock& lock = *runner.refresh_lock();
    const auto waiters = fleet_waiters();
    const auto began = std::chrono::steady_clock::now();
    milliseconds step = k_first_poll;
    for (;;) {
        const auto waited = std::chrono::duration_cast<milliseconds>(std::chrono::steady_clock::now() - began);
        if (waited >= patience) {
            co_return make_error(Errc::provider_unavailable, "another credd has held the refresh lock of " +
                                                                 resource(key) + " for " +
                                                                 std::to_string(waited.count()) + " ms");
        }
        co_await nap(waiters, step, seen);
        seen = waiters->changes;  // what came before this point, the look below sees
        step = std::min(step * 2, k_max_poll);
        // The lock and the record at one instant: the holder's commit, or a
        // lock gone with the record still pending (a dead holder).
        auto look = co_await runner.run([&](store::Store&) { return lock.look(key); });
        if (!look) co_return look.error();
        const bool refreshed =
            look->record && refreshed_elsewhere(before, *look->record, scopes, clock.now_epoch_seconds());
        if (!look->held || refreshed) co_return std::move(look->record);
    }
}

}  // namespace credctl::tokens
