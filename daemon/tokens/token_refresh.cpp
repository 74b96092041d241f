// The refresh path of TokenService: starting a flight, the exchange at the
// provider, and committing its answer (token_service.hpp has the contract).
#include "common/log/log.hpp"
#include "daemon/store/refresh_lock.hpp"
#include "daemon/tokens/token_service_impl.hpp"

#include <sodium.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <chrono>
#include <exception>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace credctl::tokens {
namespace {

namespace asio = boost::asio;

// RFC 6749 §5.1 lets a provider omit expires_in; assume an hour then.
constexpr std::int64_t k_default_lifetime_seconds = 3600;

}  // namespace

asio::awaitable<void> TokenService::Impl::set_state(const store::CredentialKey& key, store::CredentialRecord& record,
                                                    store::CredentialState state) {
    record.state = state;
    record.updated_at = clock.now_epoch_seconds();
    auto r = co_await runner.run([&](store::Store& s) { return s.update(key, record); });
    if (!r) log::error("store: cannot update " + resource(key) + ": " + r.error().message);
}

bool TokenService::Impl::holds(store::Store& s, const store::CredentialKey& key, const SecretBytes& sent) {
    auto current = s.refresh_token(key);
    if (!current) return false;
    return current->size() == sent.size() && sodium_memcmp(current->data(), sent.data(), sent.size()) == 0;
}

asio::awaitable<bool> TokenService::Impl::still_ours(const store::CredentialKey& key, const SecretBytes& sent) {
    co_return co_await runner.run([&](store::Store& s) { return holds(s, key, sent); });
}

asio::awaitable<Result<TokenService::Impl::Found>> TokenService::Impl::find(const store::CredentialKey& key) {
    co_return co_await runner.run([&](store::Store& s) -> Result<Found> {
        store::RefreshLock* lock = s.refresh_lock();
        // A fleet store may answer from a copy it vouches for (no call).
        auto rec = lock != nullptr ? lock->get_to_refresh(key) : s.get(key);
        if (!rec) return rec.error();
        Found found{std::move(*rec), false};
        // A pending mark with the lock held is another host's refresh in
        // flight, not a dead one. Both read at one instant: a holder that
        // committed since the read above is not taken for a dead one.
        if (found.record && found.record->state == store::CredentialState::refresh_pending && lock != nullptr) {
            auto view = lock->look(key);
            if (!view) return view.error();
            found.record = std::move(view->record);
            found.refreshing_elsewhere = view->held;
        }
        return found;
    });
}

asio::awaitable<Result<TokenService::Impl::Started>> TokenService::Impl::start_refresh(
    const store::CredentialKey& key, const std::string& sk, const std::vector<std::string>& scopes, std::int64_t want,
    std::optional<std::uint64_t> caller) {
    const auto ck = credential_key(key);
    // Announced until the read ends, whatever it ends with: a read never
    // finished would hold its waiters until their deadlines. (A frame
    // destroyed while suspended, as the io_context goes, finishes nothing:
    // its waiters go with it, as with a flight.)
    const auto read = std::make_shared<Flight>(io.get_executor(), "");
    reads[ck] = read;
    const auto end_read = [&](Result<void> outcome) {
        if (auto it = reads.find(ck); it != reads.end() && it->second == read) reads.erase(it);
        read->finish(std::move(outcome));
    };
    Result<Started> started = make_error(Errc::internal, "the read of the record did not complete");
    bool paced_out = false;
    try {
        started = co_await read_and_start(key, sk, scopes, want, caller, paced_out);
    } catch (...) {
        end_read(make_error(Errc::internal, "the read of " + resource(key) + " failed"));
        throw;
    }
    // A refusal over this caller's budget is its own: the others look again.
    if (started || paced_out) {
        end_read(Result<void>{});
    } else {
        end_read(started.error());
    }
    co_return started;
}

asio::awaitable<Result<TokenService::Impl::Started>> TokenService::Impl::read_and_start(
    const store::CredentialKey& key, const std::string& sk, const std::vector<std::string>& scopes, std::int64_t want,
    std::optional<std::uint64_t> caller, bool& refused) {
    const auto ck = credential_key(key);
    if (removing.contains(ck)) co_return make_error(Errc::not_found, resource(key) + " is being removed");
    const auto asked = std::chrono::steady_clock::now();
    auto found = co_await find(key);
    if (!found) co_return found.error();
    // Back on the I/O thread after the read: a caller that started a flight
    // or cached a token meanwhile wins, so no second refresh starts.
    if (flights.contains(ck) || cache.get(ck + sk, clock.now_epoch_seconds(), want)) co_return Started{};
    if (removing.contains(ck)) co_return make_error(Errc::not_found, resource(key) + " is being removed");
    auto& rec = found->record;
    // Gone or rejected: what was set aside of it is never served (paced()).
    if (!rec || rec->state == store::CredentialState::login_required) cache.erase_retired(ck);
    if (!rec) {
        co_return make_error(Errc::not_found,
                             "no credential for " + resource(key) + "; run: credctl login " + key.provider);
    }
    if (rec->state == store::CredentialState::login_required) {
        co_return make_error(Errc::login_required, "the provider rejected the refresh token of " + resource(key) +
                                                       "; run: credctl login " + key.provider);
    }
    // Pending with no flight in this process: an earlier credd died mid-refresh.
    if (rec->state == store::CredentialState::refresh_pending && !found->refreshing_elsewhere) {
        co_return co_await forget_interrupted(key, *rec);
    }
    if (sk.empty() && !rec->access_token.empty()) {
        CachedToken stored{rec->access_token.clone(), rec->access_expires_at, rec->scope, rec->subject};
        cache.put(ck, stored);
        if (rec->access_expires_at - clock.now_epoch_seconds() >= want) co_return Started{std::move(stored)};
    }
    if (caller) {
        const auto verdict = pace.take(ck, *caller, clock.steady_now());
        if (verdict != RefreshPace::Verdict::allowed) {
            auto answer = paced(key, sk, *rec, *caller, verdict);
            refused = !answer;
            co_return answer;
        }
    }
    auto flight = std::make_shared<Flight>(io.get_executor(), sk);
    flights[ck] = flight;
    if (drain) drain(longest_refresh(ck));  // credd is stopping: this refresh holds its exit
    // fly() answers every waiter whatever happens; an exception that still
    // escaped it could only be logged here.
    asio::co_spawn(io, fly(key, std::move(*rec), scopes, flight, asked), [](std::exception_ptr e) {
        if (e) log::error("a refresh ended with an exception outside its handler");
    });
    co_return Started{flight};
}

asio::awaitable<void> TokenService::Impl::fly(store::CredentialKey key, store::CredentialRecord record,
                                              std::vector<std::string> scopes, std::shared_ptr<Flight> flight,
                                              RefreshSteps::Point asked) {
    Result<void> result = make_error(Errc::internal, "refresh did not complete");
    const auto began = clock.steady_now();
    RefreshSteps steps;
    steps.asked = asked;
    steps.flying = std::chrono::steady_clock::now();
    // Whatever happens below, the flight ends: a flight left in `flights`
    // would hold every later caller of this credential forever.
    std::optional<std::string> threw;
    try {
        result = co_await refresh(key, std::move(record), std::move(scopes), steps);
    } catch (const std::exception& e) {
        threw = e.what();
    } catch (...) {
        threw = "not a std::exception";
    }
    if (threw) result = co_await refresh_threw(key, *threw);
    // Taken before the next suspension: until the waiters wake, a caller
    // may make the cache forget it (token_service.cpp, forget_changed()).
    if (result) flight->keep(cache.get(credential_key(key) + flight->scopes(), clock.now_epoch_seconds(), 0));
    metrics().refresh_ended(key.provider, metrics::refresh_outcome(result), clock.steady_now() - began);
    if (log::enabled(log::Level::debug)) log::debug(refresh_steps_line(key, result, steps));
    if (store::RefreshLock* lock = runner.refresh_lock(); lock != nullptr) {
        try {
            co_await runner.run([&](store::Store&) { lock->unlock(key); });
        } catch (const std::exception& e) {
            log::error("the refresh lock of " + resource(key) + " was not released: " + e.what());
        }
    }
    if (auto it = flights.find(credential_key(key)); it != flights.end() && it->second == flight) flights.erase(it);
    flight->finish(std::move(result));
}

asio::awaitable<Result<void>> TokenService::Impl::refresh(const store::CredentialKey& key,
                                                          store::CredentialRecord record,
                                                          std::vector<std::string> scopes, RefreshSteps& steps) {
    const ProviderConfig* p = provider(key.provider);
    if (p == nullptr) co_return make_error(Errc::not_found, "provider " + key.provider + " is not configured");
    // The intent is durable before the refresh token leaves the process
    // (see the header: crash safety under rotation). On a fleet, the pending
    // mark is written with the lock, in one step.
    const bool fleet = runner.refresh_lock() != nullptr;
    if (fleet) {
        auto ours = co_await take_fleet_lock(key, record, scopes);
        if (!ours) co_return ours.error();
        if (!*ours) co_return Result<void>{};  // another host refreshed it
        steps.locked = std::chrono::steady_clock::now();
    }
    // The connection to the token endpoint opens while the mark below is
    // made durable; nothing goes over it before upstream.refresh().
    std::shared_ptr<Warmup> warm = upstream.warm_up(*p);
    const auto keeper = keep_fleet_lock(key);
    Exchanged x;
    x.steps = &steps;
    // With the store on a thread of its own, the steps run on the
    // exchanges' thread: each return to the I/O thread would wait behind
    // every request ready there, which in a stampede is a millisecond or
    // more per step. The fleet's lock keeper stops before the commit.
    const auto elsewhere = upstream.steps_executor();
    const bool off_io = !fleet && elsewhere && runner.placement() == store::StorePlacement::own_thread;
    const Since since{clock.now_epoch_seconds(), std::chrono::steady_clock::now()};
    if (off_io) {
        co_await asio::co_spawn(elsewhere, exchange(key, record, *p, scopes, std::move(warm), &since, x),
                                asio::use_awaitable);
    } else {
        co_await exchange(key, record, *p, scopes, std::move(warm), nullptr, x);
    }
    steps.back = std::chrono::steady_clock::now();
    if (keeper) keeper->stop();
    if (!x.refresh_token) co_return x.refresh_token.error();
    if (x.served) co_return committed(key, scope_key(scopes), x.stored, std::move(*x.served));
    if (x.outcome.result) {
        auto r = co_await commit_refresh(key, record, *x.outcome.result, scope_key(scopes), *x.refresh_token);
        steps.stored = std::chrono::steady_clock::now();
        co_return r;
    }
    if (!co_await still_ours(key, *x.refresh_token)) co_return replaced(key);
    co_return co_await refresh_failed(key, *p, record, x.outcome.result.error());
}

asio::awaitable<void> TokenService::Impl::exchange(const store::CredentialKey& key, store::CredentialRecord& record,
                                                   const ProviderConfig& p, const std::vector<std::string>& scopes,
                                                   std::shared_ptr<Warmup> warm, const Since* commit, Exchanged& x) {
    const bool fleet = runner.refresh_lock() != nullptr;
    // The refresh token is in the clear from here to the end of refresh()
    // only (docs/store-format.md "`credentials`").
    x.steps->exchanging = std::chrono::steady_clock::now();
    record.state = store::CredentialState::refresh_pending;
    x.refresh_token = co_await runner.run([&](store::Store& s) -> Result<SecretBytes> {
        auto opened = s.refresh_token(key);
        if (!opened || fleet) return opened;
        if (auto r = s.update(key, record); !r) return r.error();
        return opened;
    });
    (fleet ? x.steps->token_read : x.steps->marked) = std::chrono::steady_clock::now();
    if (!x.refresh_token) co_return;
    x.outcome = co_await upstream.refresh(p, *x.refresh_token, scopes, std::move(warm));
    x.steps->answered = std::chrono::steady_clock::now();
    if (commit == nullptr || !x.outcome.result) co_return;
    oauth::TokenSet& t = *x.outcome.result;
    const auto taken = std::chrono::steady_clock::now() - commit->steady;
    const std::int64_t now = commit->epoch + std::chrono::duration_cast<std::chrono::seconds>(taken).count();
    x.served = prepare_commit(record, t, scope_key(scopes), now);
    x.stored =
        co_await store_outcome(key, record, t.refresh_token.empty() ? nullptr : &t.refresh_token, &*x.refresh_token);
    x.steps->stored = std::chrono::steady_clock::now();
}

Error TokenService::Impl::replaced(const store::CredentialKey& key) {
    log::info(resource(key) + " was replaced during its refresh; the answer is dropped");
    return make_error(Errc::provider_unavailable,
                      resource(key) + " was replaced by a new login during its refresh; ask again");
}

// The provider did not give a token: rejected for good (login_required) or
// not now (the pending mark is cleared, the next caller tries again).
asio::awaitable<Error> TokenService::Impl::refresh_failed(const store::CredentialKey& key, const ProviderConfig& p,
                                                          store::CredentialRecord& record, const Error& failure) {
    if (failure.code == Errc::provider_unavailable) {
        const auto since = unavailable_since.try_emplace(credential_key(key), clock.now_epoch_seconds()).first->second;
        events.unavailable(key.user, key.provider, since, clock.now_epoch_seconds());
    } else {
        unavailable_since.erase(credential_key(key));
    }
    const bool rejected = failure.code == Errc::login_required;
    record.state = rejected ? store::CredentialState::login_required : store::CredentialState::valid;
    record.updated_at = clock.now_epoch_seconds();
    if (auto r = co_await store_outcome(key, record, nullptr); !r) {
        log::error("store: cannot update " + resource(key) + ": " + r.error().message);
    }
    if (!rejected) co_return failure;
    log::warning("provider " + p.name + " rejected the refresh token of " + resource(key));
    events.login_required(key.user, key.provider, notify::Reason::invalid_grant);
    co_return make_error(Errc::login_required, "the provider rejected the refresh token of " + resource(key) + " (" +
                                                   failure.message + "); run: credctl login " + key.provider);
}

CachedToken TokenService::Impl::prepare_commit(store::CredentialRecord& record, oauth::TokenSet& t,
                                               const std::string& scopes, std::int64_t now) {
    const std::int64_t expires_at = now + (t.expires_in > 0 ? t.expires_in : k_default_lifetime_seconds);
    if (!t.refresh_token.empty()) ++record.rotation;
    // No scope in the answer: the one asked for (RFC 6749 §5.1). An empty
    // one is what was granted, and is reported as such.
    const std::string granted = t.scope ? *t.scope : (scopes.empty() ? record.scope : scopes);
    CachedToken served{t.access_token.clone(), expires_at, granted, record.subject};
    if (scopes.empty()) {
        // The record keeps the full-scope token only; down-scoped ones live
        // in the cache.
        record.access_token = std::move(t.access_token);
        record.access_expires_at = expires_at;
        record.scope = granted;
    }
    record.updated_at = now;
    record.refreshed_at = now;
    record.state = store::CredentialState::valid;
    return served;
}

asio::awaitable<Result<void>> TokenService::Impl::commit_refresh(const store::CredentialKey& key,
                                                                 store::CredentialRecord& record, oauth::TokenSet& t,
                                                                 const std::string& scopes, const SecretBytes& sent) {
    CachedToken served = prepare_commit(record, t, scopes, clock.now_epoch_seconds());
    // Durable before anyone sees the new access token: if this fails the
    // rotated refresh token would be lost, so nothing is served.
    const SecretBytes* rotated = t.refresh_token.empty() ? nullptr : &t.refresh_token;
    co_return committed(key, scopes, co_await store_outcome(key, record, rotated, &sent), std::move(served));
}

Result<void> TokenService::Impl::committed(const store::CredentialKey& key, const std::string& scopes,
                                           const Result<bool>& stored, CachedToken served) {
    if (!stored) return stored.error();
    if (!*stored) return replaced(key);
    unavailable_since.erase(credential_key(key));
    events.valid(key.user, key.provider);
    const auto now = clock.now_epoch_seconds();
    cache.make_room(credential_key(key), credential_key(key) + scopes, now);
    pace.learn(credential_key(key), std::chrono::seconds(served.expires_at - now));
    cache.put(credential_key(key) + scopes, served);
    return Result<void>{};
}

asio::awaitable<Result<bool>> TokenService::Impl::store_outcome(const store::CredentialKey& key,
                                                                const store::CredentialRecord& record,
                                                                const SecretBytes* rotated, const SecretBytes* sent) {
    co_return co_await runner.run([&](store::Store& s) -> Result<bool> {
        if (sent != nullptr && !holds(s, key, *sent)) return false;
        Result<void> stored = Result<void>{};
        if (store::RefreshLock* lock = s.refresh_lock(); lock != nullptr) {
            stored = lock->commit_and_unlock(key, record, rotated);
        } else {
            stored = rotated != nullptr ? s.put(key, record, *rotated) : s.update(key, record);
        }
        if (!stored) return stored.error();
        return true;
    });
}

asio::awaitable<Error> TokenService::Impl::forget_interrupted(const store::CredentialKey& key,
                                                              store::CredentialRecord& record) {
    co_await set_state(key, record, store::CredentialState::login_required);
    log::warning("a refresh of " + resource(key) +
                 " was interrupted before its answer was stored; marked login_required");
    events.login_required(key.user, key.provider, notify::Reason::rotation_interrupted);
    co_return make_error(Errc::login_required,
                         "a refresh of " + resource(key) +
                             " was interrupted (credd stopped before storing the provider's answer); the provider may "
                             "have rotated the refresh token, so it is not replayed; run: credctl login " +
                             key.provider);
}

// An exception is a bug, not a crash: the process goes on, so the pending
// mark is cleared as after a transient failure, and the next caller starts a
// new refresh (token_service.hpp).
asio::awaitable<Error> TokenService::Impl::refresh_threw(const store::CredentialKey& key, std::string what) {
    log::error("the refresh of " + resource(key) + " failed with an exception: " + what);
    try {
        auto rec = co_await runner.run([&](store::Store& s) { return s.get(key); });
        if (rec && *rec && (*rec)->state == store::CredentialState::refresh_pending)
            co_await set_state(key, **rec, store::CredentialState::valid);
    } catch (const std::exception& e) {
        log::error("store: cannot clear the pending mark of " + resource(key) + ": " + e.what());
    }
    co_return make_error(Errc::internal,
                         "the refresh of " + resource(key) + " failed inside credd (see its log); ask again");
}

}  // namespace credctl::tokens
