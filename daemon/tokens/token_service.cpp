#include "daemon/tokens/token_service.hpp"

#include "common/log/log.hpp"
#include "common/oauth/oauth_client.hpp"
#include "daemon/tokens/token_cache.hpp"
#include "daemon/tokens/upstream.hpp"

#include <sodium.h>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>
#include <map>
#include <optional>
#include <set>
#include <variant>

namespace credctl::tokens {
namespace {

namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;

// RFC 6749 §5.1 lets a provider omit expires_in; assume an hour then.
constexpr std::int64_t k_default_lifetime_seconds = 3600;

std::int64_t now_epoch() {
    return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

// One credential: user NUL provider NUL. Cache entries of all its scope sets
// start with it, so they can be dropped together.
std::string credential_key(const store::CredentialKey& k) {
    return k.user + '\0' + k.provider + '\0';
}

// Sorted, de-duplicated, space-joined: "b a a" and "a b" are one scope set.
std::string scope_key(std::vector<std::string> scopes) {
    std::sort(scopes.begin(), scopes.end());
    scopes.erase(std::unique(scopes.begin(), scopes.end()), scopes.end());
    std::string out;
    for (const auto& s : scopes) out += (out.empty() ? "" : " ") + s;
    return out;
}

std::string resource(const store::CredentialKey& k) {
    return "credentials/" + k.user + "/" + k.provider;
}

wire::AccessToken to_wire(CachedToken t) {
    wire::AccessToken a;
    a.access_token = std::move(t.access_token);
    a.expires_at = t.expires_at;
    a.scope = std::move(t.scope);
    return a;
}

// One refresh in progress, run by a coroutine of its own so that it goes on
// when the caller who started it stops waiting. Callers without a deadline
// park on `done` until it is cancelled; callers with one park on a timer of
// their own, listed in `deadline_waiters` and cancelled at the end too.
struct Flight {
    Flight(asio::io_context& io, std::string scopes_)
        : done(io, Clock::time_point::max()), scopes(std::move(scopes_)) {}
    asio::steady_timer done;
    std::vector<asio::steady_timer*> deadline_waiters;
    std::string scopes;  // the scope set the first caller asked for
    bool finished = false;
    Result<void> result = make_error(Errc::internal, "refresh did not complete");

    void finish(Result<void> r) {
        result = std::move(r);
        finished = true;
        done.cancel();
        for (auto* t : deadline_waiters) t->cancel();
    }
};

// Waits for `flight` to finish or `deadline` to pass; true when it finished.
asio::awaitable<bool> wait_for(std::shared_ptr<Flight> flight, Clock::time_point deadline) {
    // co_spawn may run a refresh inline up to its first suspension: one
    // that fails before any I/O has already finished here.
    if (flight->finished) co_return true;
    if (deadline == Clock::time_point::max()) {
        co_await flight->done.async_wait(asio::as_tuple(asio::use_awaitable));
        co_return flight->finished;
    }
    asio::steady_timer mine(flight->done.get_executor(), deadline);
    flight->deadline_waiters.push_back(&mine);
    co_await mine.async_wait(asio::as_tuple(asio::use_awaitable));
    std::erase(flight->deadline_waiters, &mine);
    co_return flight->finished;
}

}  // namespace

struct TokenService::Impl {
    Impl(asio::io_context& io_, store::Store& store_, TokenServiceOptions options_)
        : io(io_), store(store_), options(std::move(options_)), upstream(options.provider_timeout) {}

    asio::io_context& io;
    store::Store& store;
    TokenServiceOptions options;
    Upstream upstream;
    TokenCache cache;
    std::map<std::string, std::shared_ptr<Flight>> flights;  // by credential_key
    std::set<std::string> removing;                          // credentials being deleted
    // Credentials whose last refresh failed for a transient reason, and
    // since when: `credctl status` shows them as provider_unavailable.
    std::map<std::string, std::int64_t> unavailable_since;  // by credential_key

    const ProviderConfig* provider(const std::string& name) const {
        for (const auto& p : options.providers) {
            if (p.name == name) return &p;
        }
        return nullptr;
    }

    void set_state(const store::CredentialKey& key, store::CredentialRecord& record, store::CredentialState state) {
        record.state = state;
        record.updated_at = now_epoch();
        if (auto r = store.update(key, record); !r)
            log::error("store: cannot update " + resource(key) + ": " + r.error().message);
    }

    asio::awaitable<Result<void>> refresh(const store::CredentialKey& key, store::CredentialRecord record,
                                          std::vector<std::string> scopes);
    // False when a login stored another refresh token while ours was at the
    // provider: the answer about the old one must not overwrite the new.
    bool still_ours(const store::CredentialKey& key, const SecretBytes& sent) {
        auto current = store.refresh_token(key);
        if (!current) return false;
        return current->size() == sent.size() && sodium_memcmp(current->data(), sent.data(), sent.size()) == 0;
    }

    Result<void> commit_refresh(const store::CredentialKey& key, store::CredentialRecord record, oauth::TokenSet t,
                                const std::string& scopes);
    Result<std::variant<CachedToken, std::shared_ptr<Flight>>> start_refresh(const store::CredentialKey& key,
                                                                             const std::string& sk,
                                                                             const std::vector<std::string>& scopes,
                                                                             std::int64_t want);
    asio::awaitable<void> fly(store::CredentialKey key, store::CredentialRecord record, std::vector<std::string> scopes,
                              std::shared_ptr<Flight> flight);
    Error gave_up(const store::CredentialKey& key, std::chrono::milliseconds waited) const;
    Error forget_interrupted(const store::CredentialKey& key, store::CredentialRecord record);
};

asio::awaitable<Result<void>> TokenService::Impl::refresh(const store::CredentialKey& key,
                                                          store::CredentialRecord record,
                                                          std::vector<std::string> scopes) {
    const ProviderConfig* p = provider(key.provider);
    if (p == nullptr) co_return make_error(Errc::not_found, "provider " + key.provider + " is not configured");
    // The refresh token is in the clear from here to the end of this
    // function only (SPEC §5).
    auto refresh_token = store.refresh_token(key);
    if (!refresh_token) co_return refresh_token.error();
    // The intent is durable before the refresh token leaves the process
    // (see the header: crash safety under rotation).
    record.state = store::CredentialState::refresh_pending;
    if (auto r = store.update(key, record); !r) co_return r.error();
    oauth::Attempt outcome = co_await upstream.refresh(*p, *refresh_token, scopes);
    if (!still_ours(key, *refresh_token)) {
        log::info(resource(key) + " was replaced during its refresh; the answer is dropped");
        co_return make_error(Errc::provider_unavailable,
                             resource(key) + " was replaced by a new login during its refresh; ask again");
    }
    if (!outcome.tokens) {
        if (outcome.tokens.error().code == Errc::provider_unavailable) {
            unavailable_since.try_emplace(credential_key(key), now_epoch());
        } else {
            unavailable_since.erase(credential_key(key));
        }
        const bool rejected = outcome.tokens.error().code == Errc::login_required;
        set_state(key, record, rejected ? store::CredentialState::login_required : store::CredentialState::valid);
        if (rejected) {
            log::warning("provider " + p->name + " rejected the refresh token of " + resource(key));
            co_return make_error(Errc::login_required, "the provider rejected the refresh token of " + resource(key) +
                                                           " (" + outcome.tokens.error().message +
                                                           "); run: credctl login " + key.provider);
        }
        co_return outcome.tokens.error();
    }
    co_return commit_refresh(key, std::move(record), std::move(*outcome.tokens), scope_key(scopes));
}

Result<void> TokenService::Impl::commit_refresh(const store::CredentialKey& key, store::CredentialRecord record,
                                                oauth::TokenSet t, const std::string& scopes) {
    const std::int64_t now = now_epoch();
    const std::int64_t expires_at = now + (t.expires_in > 0 ? t.expires_in : k_default_lifetime_seconds);
    const bool rotated = !t.refresh_token.empty();
    if (rotated) ++record.rotation;
    // No scope in the answer: the one asked for (RFC 6749 §5.1). An empty
    // one is what was granted, and is reported as such.
    const std::string granted = t.scope ? *t.scope : (scopes.empty() ? record.scope : scopes);
    CachedToken served{t.access_token.clone(), expires_at, granted};
    if (scopes.empty()) {
        // The record keeps the full-scope token only; down-scoped ones live
        // in the cache.
        record.access_token = std::move(t.access_token);
        record.access_expires_at = expires_at;
        record.scope = granted;
    }
    record.updated_at = now;
    record.state = store::CredentialState::valid;
    // Durable before anyone sees the new access token: if this fails the
    // rotated refresh token would be lost, so nothing is served.
    if (auto r = rotated ? store.put(key, record, t.refresh_token) : store.update(key, record); !r) return r.error();
    unavailable_since.erase(credential_key(key));
    cache.put(credential_key(key) + scopes, served);
    return {};
}

Error TokenService::Impl::forget_interrupted(const store::CredentialKey& key, store::CredentialRecord record) {
    set_state(key, record, store::CredentialState::login_required);
    log::warning("a refresh of " + resource(key) +
                 " was interrupted before its answer was stored; marked login_required");
    return make_error(Errc::login_required,
                      "a refresh of " + resource(key) +
                          " was interrupted (credd stopped before storing the provider's answer); the provider may "
                          "have rotated the refresh token, so it is not replayed; run: credctl login " +
                          key.provider);
}

TokenService::TokenService(asio::io_context& io, store::Store& store, TokenServiceOptions options)
    : impl_(std::make_unique<Impl>(io, store, std::move(options))) {}

TokenService::~TokenService() = default;

const std::vector<ProviderConfig>& TokenService::providers() const {
    return impl_->options.providers;
}

std::uint64_t TokenService::refreshes() const {
    return impl_->upstream.attempts();
}

Result<void> TokenService::store_login(const store::CredentialKey& key, wire::StoreCredential login) {
    if (impl_->provider(key.provider) == nullptr) {
        return make_error(Errc::not_found, "provider " + key.provider + " is not configured");
    }
    const std::int64_t now = now_epoch();
    store::CredentialRecord rec;
    rec.created_at = now;
    if (auto old = impl_->store.get(key); old && *old) rec.created_at = (*old)->created_at;
    rec.access_token = std::move(login.access_token);
    rec.access_expires_at = rec.access_token.empty() ? 0 : login.access_expires_at;
    rec.scope = std::move(login.scope);
    rec.issuer = std::move(login.issuer);
    rec.subject = std::move(login.subject);
    rec.updated_at = now;
    if (auto r = impl_->store.put(key, rec, login.refresh_token); !r) return r.error();
    const auto ck = credential_key(key);
    impl_->cache.erase_prefix(ck);
    if (!rec.access_token.empty()) {
        impl_->cache.put(ck, CachedToken{rec.access_token.clone(), rec.access_expires_at, rec.scope});
    }
    return {};
}

asio::awaitable<void> TokenService::Impl::fly(store::CredentialKey key, store::CredentialRecord record,
                                              std::vector<std::string> scopes, std::shared_ptr<Flight> flight) {
    auto result = co_await refresh(key, std::move(record), std::move(scopes));
    flights.erase(credential_key(key));
    flight->finish(std::move(result));
}

// Why a caller got no token: its own deadline passed while the refresh went on.
Error TokenService::Impl::gave_up(const store::CredentialKey& key, std::chrono::milliseconds waited) const {
    return make_error(Errc::provider_unavailable, "provider " + key.provider + " did not answer the refresh of " +
                                                      resource(key) + " within the caller's timeout of " +
                                                      std::to_string(waited.count()) +
                                                      " ms; the refresh goes on in credd, ask again");
}

asio::awaitable<Result<wire::AccessToken>> TokenService::token(const store::CredentialKey& key,
                                                               std::chrono::seconds min_valid,
                                                               std::vector<std::string> scopes,
                                                               std::chrono::milliseconds timeout) {
    auto& im = *impl_;
    const auto ck = credential_key(key);
    const auto sk = scope_key(scopes);
    const std::int64_t want = min_valid.count();
    const auto deadline = timeout.count() > 0 ? Clock::now() + timeout : Clock::time_point::max();
    for (;;) {
        if (auto hit = im.cache.get(ck + sk, now_epoch(), want)) co_return to_wire(std::move(*hit));
        std::shared_ptr<Flight> flight;
        if (auto it = im.flights.find(ck); it != im.flights.end()) {
            flight = it->second;
        } else {
            // No co_await between the miss above and registering the flight
            // below, so no second refresh can start.
            auto started = im.start_refresh(key, sk, scopes, want);
            if (!started) co_return started.error();
            if (std::holds_alternative<CachedToken>(*started)) {
                co_return to_wire(std::move(std::get<CachedToken>(*started)));
            }
            flight = std::get<std::shared_ptr<Flight>>(*started);
        }
        if (!co_await wait_for(flight, deadline)) co_return im.gave_up(key, timeout);
        // A refresh for another scope set used the one refresh token in
        // the meantime: look again, maybe start a refresh of our own.
        if (flight->scopes != sk) continue;
        if (!flight->result) co_return flight->result.error();
        // The freshest token the provider gave, even if shorter than asked.
        if (auto hit = im.cache.get(ck + sk, now_epoch(), 0)) co_return to_wire(std::move(*hit));
        co_return make_error(Errc::provider_unavailable, "provider returned an access token that already expired");
    }
}

// Either the stored access token, good enough, or a refresh now in flight.
Result<std::variant<CachedToken, std::shared_ptr<Flight>>> TokenService::Impl::start_refresh(
    const store::CredentialKey& key, const std::string& sk, const std::vector<std::string>& scopes, std::int64_t want) {
    const auto ck = credential_key(key);
    if (removing.contains(ck)) return make_error(Errc::not_found, resource(key) + " is being removed");
    auto rec = store.get(key);
    if (!rec) return rec.error();
    if (!*rec) {
        return make_error(Errc::not_found,
                          "no credential for " + resource(key) + "; run: credctl login " + key.provider);
    }
    if ((*rec)->state == store::CredentialState::login_required) {
        return make_error(Errc::login_required, "the provider rejected the refresh token of " + resource(key) +
                                                    "; run: credctl login " + key.provider);
    }
    // Pending with no flight in this process: an earlier credd died mid-refresh.
    if ((*rec)->state == store::CredentialState::refresh_pending) return forget_interrupted(key, std::move(**rec));
    if (sk.empty() && !(*rec)->access_token.empty()) {
        CachedToken stored{(*rec)->access_token.clone(), (*rec)->access_expires_at, (*rec)->scope};
        cache.put(ck, stored);
        if ((*rec)->access_expires_at - now_epoch() >= want) return stored;
    }
    auto flight = std::make_shared<Flight>(io, sk);
    flights[ck] = flight;
    asio::co_spawn(io, fly(key, std::move(**rec), scopes, flight), asio::detached);
    return flight;
}

Result<std::vector<wire::CredentialInfo>> TokenService::list(const std::string& user) {
    auto keys = impl_->store.keys(user);
    if (!keys) return keys.error();
    std::vector<wire::CredentialInfo> out;
    for (const auto& k : *keys) {
        auto rec = impl_->store.get(k);
        if (!rec) return rec.error();
        if (!*rec) continue;
        const auto& r = **rec;
        const bool flying = impl_->flights.contains(credential_key(k));
        const auto unavailable = impl_->unavailable_since.find(credential_key(k));
        std::string state = "valid";
        std::int64_t since = 0;
        if (flying) {
            state = "refreshing";
        } else if (r.state != store::CredentialState::valid) {
            state = "login_required";  // rejected, or a refresh interrupted by a crash
        } else if (unavailable != impl_->unavailable_since.end()) {
            state = "provider_unavailable";
            since = unavailable->second;
        }
        out.push_back({k.user, k.provider, r.issuer, r.subject, r.scope, r.created_at, r.updated_at,
                       r.access_expires_at, state, since});
    }
    return out;
}

asio::awaitable<Result<Removal>> TokenService::remove(const store::CredentialKey& key, Revoke revoke,
                                                      OnRevokeFailure on_failure) {
    auto& im = *impl_;
    const auto ck = credential_key(key);
    // A refresh in progress would write the record back after the erase.
    while (im.flights.contains(ck)) {
        auto flight = im.flights.at(ck);
        co_await flight->done.async_wait(asio::as_tuple(asio::use_awaitable));
    }
    auto rec = im.store.get(key);
    if (!rec) co_return rec.error();
    if (!*rec) co_return make_error(Errc::not_found, "no credential for " + resource(key));
    if (!im.removing.insert(ck).second) co_return make_error(Errc::not_found, resource(key) + " is being removed");
    struct Unmark {
        std::set<std::string>& set;
        const std::string& key;
        ~Unmark() { set.erase(key); }
    } unmark{im.removing, ck};
    Removal removal;
    const ProviderConfig* p = im.provider(key.provider);
    if (revoke == Revoke::yes && p == nullptr) {
        removal.revocation_error = "provider " + key.provider + " is not configured";
    } else if (revoke == Revoke::yes) {
        auto refresh_token = im.store.refresh_token(key);
        if (!refresh_token) co_return refresh_token.error();
        auto r = co_await im.upstream.revoke(*p, *refresh_token);
        removal.revoked = static_cast<bool>(r);
        if (!r) {
            removal.revocation_error = r.error().message;
            if (on_failure == OnRevokeFailure::keep) {
                co_return make_error(Errc::provider_unavailable,
                                     "could not revoke " + resource(key) + ", kept it: " + removal.revocation_error);
            }
        }
    }
    // A concurrent DELETE may have won while we were at the provider.
    auto erased = im.store.erase(key);
    if (!erased) co_return erased.error();
    im.cache.erase_prefix(ck);
    im.unavailable_since.erase(ck);
    if (!*erased) co_return make_error(Errc::not_found, "no credential for " + resource(key));
    co_return removal;
}

Result<std::uint64_t> TokenService::count() {
    return impl_->store.count();
}

}  // namespace credctl::tokens
