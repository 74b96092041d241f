#include "daemon/tokens/token_service.hpp"

#include "common/log/log.hpp"
#include "common/oauth/oauth_client.hpp"
#include "daemon/tokens/backoff.hpp"
#include "daemon/tokens/token_cache.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>
#include <map>
#include <optional>
#include <set>

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
std::string credential_key(const store::CredentialKey& k) { return k.user + '\0' + k.provider + '\0'; }

// Sorted, de-duplicated, space-joined: "b a a" and "a b" are one scope set.
std::string scope_key(std::vector<std::string> scopes) {
    std::sort(scopes.begin(), scopes.end());
    scopes.erase(std::unique(scopes.begin(), scopes.end()), scopes.end());
    std::string out;
    for (const auto& s : scopes) out += (out.empty() ? "" : " ") + s;
    return out;
}

std::string resource(const store::CredentialKey& k) { return "credentials/" + k.user + "/" + k.provider; }

wire::AccessToken to_wire(CachedToken t) {
    wire::AccessToken a;
    a.access_token = std::move(t.access_token);
    a.expires_at = t.expires_at;
    a.scope = std::move(t.scope);
    return a;
}

// One refresh in progress; waiters park on the timer until it is cancelled.
struct Flight {
    Flight(asio::io_context& io, std::string scopes_) : done(io, Clock::time_point::max()), scopes(std::move(scopes_)) {}
    asio::steady_timer done;
    std::string scopes;  // the scope set the leader asked for
    Result<void> result = make_error(Errc::internal, "refresh did not complete");
};

struct Upstream {
    std::optional<oauth::Endpoints> endpoints;
    oauth::Attempt attempt;
};

// Runs on the provider's worker pool: discovery when needed, then one
// refresh attempt. A free function with named arguments rather than a
// capturing lambda: g++ 12 destroys a coroutine lambda's captures twice under
// co_spawn.
asio::awaitable<Upstream> refresh_upstream(ProviderConfig cfg, std::optional<oauth::Endpoints> known,
                                           SecretBytes refresh_token, std::vector<std::string> scopes,
                                           http::Options opts) {
    Upstream out;
    if (!known) {
        auto d = oauth::discover_attempt(cfg, opts);
        if (!d.endpoints) {
            out.attempt = {d.endpoints.error(), d.retryable};
            co_return out;
        }
        known = std::move(*d.endpoints);
    }
    out.attempt = oauth::refresh_attempt(*known, cfg, refresh_token, scopes, opts);
    out.endpoints = std::move(known);
    co_return out;
}

struct Revocation {
    std::optional<oauth::Endpoints> endpoints;
    Result<void> result = make_error(Errc::internal, "revocation did not run");
};

asio::awaitable<Revocation> revoke_upstream(ProviderConfig cfg, std::optional<oauth::Endpoints> known,
                                            SecretBytes refresh_token, http::Options opts) {
    Revocation out;
    if (!known) {
        auto e = oauth::discover(cfg, opts);
        if (!e) {
            out.result = e.error();
            co_return out;
        }
        known = std::move(*e);
    }
    out.result = oauth::revoke(*known, cfg, refresh_token, opts);
    out.endpoints = std::move(known);
    co_return out;
}

}  // namespace

struct TokenService::Impl {
    Impl(asio::io_context& io_, store::Store& store_, TokenServiceOptions options_)
        : io(io_), store(store_), options(std::move(options_)) {
        for (const auto& p : options.providers) {
            pools.emplace(p.name, std::make_unique<asio::thread_pool>(options.worker_threads));
        }
    }

    asio::io_context& io;
    store::Store& store;
    TokenServiceOptions options;
    // One pool per provider: a provider that hangs occupies only its own threads.
    std::map<std::string, std::unique_ptr<asio::thread_pool>> pools;
    TokenCache cache;
    std::map<std::string, std::shared_ptr<Flight>> flights;  // by credential_key
    std::map<std::string, oauth::Endpoints> endpoints;       // by provider name
    std::set<std::string> removing;                          // credentials being deleted
    std::uint64_t refreshes = 0;
    BackoffPolicy backoff;

    const ProviderConfig* provider(const std::string& name) const {
        for (const auto& p : options.providers) {
            if (p.name == name) return &p;
        }
        return nullptr;
    }

    std::optional<oauth::Endpoints> known_endpoints(const std::string& name) const {
        if (auto it = endpoints.find(name); it != endpoints.end()) return it->second;
        return std::nullopt;
    }

    http::Options http_options(const ProviderConfig& p, Clock::duration remaining) const {
        http::Options o;
        o.connect_timeout = std::chrono::duration_cast<std::chrono::milliseconds>(p.connect_timeout);
        const auto per_exchange = p.timeout.count() > 0 ? p.timeout : options.provider_timeout;
        o.timeout = std::chrono::duration_cast<std::chrono::milliseconds>(
            std::min<Clock::duration>(per_exchange, remaining));
        o.ca_file = p.ca_file;
        return o;
    }

    void set_state(const store::CredentialKey& key, store::CredentialRecord& record, store::CredentialState state) {
        record.state = state;
        record.updated_at = now_epoch();
        if (auto r = store.put(key, record); !r) log::error("store: cannot update " + resource(key) + ": " + r.error().message);
    }

    asio::awaitable<Result<void>> refresh(const store::CredentialKey& key, store::CredentialRecord record,
                                          std::vector<std::string> scopes);
    asio::awaitable<oauth::Attempt> attempts(const ProviderConfig& p, const SecretBytes& refresh_token,
                                             const std::vector<std::string>& scopes);
    Result<void> commit_refresh(const store::CredentialKey& key, store::CredentialRecord record, oauth::TokenSet t,
                                const std::string& scopes);
    Error forget_interrupted(const store::CredentialKey& key, store::CredentialRecord record);
};

// Attempts until one succeeds, fails for good, or the next wait would pass
// the provider's retry deadline.
asio::awaitable<oauth::Attempt> TokenService::Impl::attempts(const ProviderConfig& p,
                                                             const SecretBytes& refresh_token,
                                                             const std::vector<std::string>& scopes) {
    const auto start = Clock::now();
    const auto deadline = start + p.retry_deadline;
    oauth::Attempt last;
    for (unsigned n = 1;; ++n) {
        ++refreshes;
        ProviderConfig cfg = p;
        SecretBytes token = refresh_token.clone();
        std::vector<std::string> asked = scopes;
        http::Options opts = http_options(p, deadline - Clock::now());
        std::optional<oauth::Endpoints> known = known_endpoints(p.name);
        Upstream up = co_await asio::co_spawn(
            *pools.at(p.name),
            refresh_upstream(std::move(cfg), std::move(known), std::move(token), std::move(asked), std::move(opts)),
            asio::use_awaitable);
        if (up.endpoints) endpoints[p.name] = *up.endpoints;
        last = std::move(up.attempt);
        if (last.tokens || last.tokens.error().code == Errc::login_required) co_return last;
        const auto delay = backoff_delay(backoff, n);
        if (!last.retryable || Clock::now() + delay >= deadline) {
            const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start).count();
            last.tokens = make_error(last.tokens.error().code,
                                     "provider " + p.name + " did not answer usably after " + std::to_string(n) +
                                         " attempt(s) in " + std::to_string(ms) + " ms: " + last.tokens.error().message);
            co_return last;
        }
        log::warning("refresh at provider " + p.name + " failed (" + last.tokens.error().message + "); retry " +
                     std::to_string(n) + " in " + std::to_string(delay.count()) + " ms");
        asio::steady_timer timer(io, delay);
        co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
    }
}

asio::awaitable<Result<void>> TokenService::Impl::refresh(const store::CredentialKey& key,
                                                          store::CredentialRecord record,
                                                          std::vector<std::string> scopes) {
    const ProviderConfig* p = provider(key.provider);
    if (p == nullptr) co_return make_error(Errc::not_found, "provider " + key.provider + " is not configured");
    // The intent is durable before the refresh token leaves the process
    // (see the header: crash safety under rotation).
    record.state = store::CredentialState::refresh_pending;
    if (auto r = store.put(key, record); !r) co_return r.error();
    oauth::Attempt outcome = co_await attempts(*p, record.refresh_token, scopes);
    if (!outcome.tokens) {
        const bool rejected = outcome.tokens.error().code == Errc::login_required;
        set_state(key, record, rejected ? store::CredentialState::login_required : store::CredentialState::valid);
        if (rejected) {
            log::warning("provider " + p->name + " rejected the refresh token of " + resource(key));
            co_return make_error(Errc::login_required, "the provider rejected the refresh token of " + resource(key) +
                                                           " (" + outcome.tokens.error().message + "); run: credctl login " +
                                                           key.provider);
        }
        co_return outcome.tokens.error();
    }
    co_return commit_refresh(key, std::move(record), std::move(*outcome.tokens), scope_key(scopes));
}

Result<void> TokenService::Impl::commit_refresh(const store::CredentialKey& key, store::CredentialRecord record,
                                                oauth::TokenSet t, const std::string& scopes) {
    const std::int64_t now = now_epoch();
    const std::int64_t expires_at = now + (t.expires_in > 0 ? t.expires_in : k_default_lifetime_seconds);
    if (!t.refresh_token.empty()) {
        record.refresh_token = std::move(t.refresh_token);
        ++record.rotation;
    }
    const std::string granted = t.scope.empty() ? (scopes.empty() ? record.scope : scopes) : t.scope;
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
    if (auto r = store.put(key, record); !r) return r.error();
    cache.put(credential_key(key) + scopes, served);
    return {};
}

Error TokenService::Impl::forget_interrupted(const store::CredentialKey& key, store::CredentialRecord record) {
    set_state(key, record, store::CredentialState::login_required);
    log::warning("a refresh of " + resource(key) + " was interrupted before its answer was stored; marked login_required");
    return make_error(Errc::login_required,
                      "a refresh of " + resource(key) +
                          " was interrupted (credd stopped before storing the provider's answer); the provider may "
                          "have rotated the refresh token, so it is not replayed; run: credctl login " + key.provider);
}

TokenService::TokenService(asio::io_context& io, store::Store& store, TokenServiceOptions options)
    : impl_(std::make_unique<Impl>(io, store, std::move(options))) {}

TokenService::~TokenService() { shutdown(); }

void TokenService::shutdown() {
    for (auto& [name, pool] : impl_->pools) pool->stop();
    for (auto& [name, pool] : impl_->pools) pool->join();
}

const std::vector<ProviderConfig>& TokenService::providers() const { return impl_->options.providers; }

std::uint64_t TokenService::refreshes() const { return impl_->refreshes; }

Result<void> TokenService::store_login(const store::CredentialKey& key, wire::StoreCredential login) {
    if (impl_->provider(key.provider) == nullptr) {
        return make_error(Errc::not_found, "provider " + key.provider + " is not configured");
    }
    const std::int64_t now = now_epoch();
    store::CredentialRecord rec;
    rec.created_at = now;
    if (auto old = impl_->store.get(key); old && *old) rec.created_at = (*old)->created_at;
    rec.refresh_token = std::move(login.refresh_token);
    rec.access_token = std::move(login.access_token);
    rec.access_expires_at = rec.access_token.empty() ? 0 : login.access_expires_at;
    rec.scope = std::move(login.scope);
    rec.issuer = std::move(login.issuer);
    rec.subject = std::move(login.subject);
    rec.updated_at = now;
    if (auto r = impl_->store.put(key, rec); !r) return r.error();
    const auto ck = credential_key(key);
    impl_->cache.erase_prefix(ck);
    if (!rec.access_token.empty()) {
        impl_->cache.put(ck, CachedToken{rec.access_token.clone(), rec.access_expires_at, rec.scope});
    }
    return {};
}

asio::awaitable<Result<wire::AccessToken>> TokenService::token(const store::CredentialKey& key,
                                                              std::chrono::seconds min_valid,
                                                              std::vector<std::string> scopes) {
    auto& im = *impl_;
    const auto ck = credential_key(key);
    const auto sk = scope_key(scopes);
    const std::int64_t want = min_valid.count();
    for (;;) {
        if (auto hit = im.cache.get(ck + sk, now_epoch(), want)) co_return to_wire(std::move(*hit));
        auto it = im.flights.find(ck);
        if (it == im.flights.end()) break;
        auto flight = it->second;
        co_await flight->done.async_wait(asio::as_tuple(asio::use_awaitable));
        // A refresh for another scope set used the one refresh token in
        // the meantime: look again, maybe lead a refresh of our own.
        if (flight->scopes != sk) continue;
        if (!flight->result) co_return flight->result.error();
        // The freshest token the provider gave, even if shorter than asked.
        if (auto hit = im.cache.get(ck + sk, now_epoch(), 0)) co_return to_wire(std::move(*hit));
        co_return make_error(Errc::provider_unavailable, "provider returned an access token that already expired");
    }
    if (im.removing.contains(ck)) co_return make_error(Errc::not_found, resource(key) + " is being removed");
    // No co_await between the miss above and registering the flight below,
    // so no second leader can start.
    auto rec = im.store.get(key);
    if (!rec) co_return rec.error();
    if (!*rec) {
        co_return make_error(Errc::not_found, "no credential for " + resource(key) + "; run: credctl login " + key.provider);
    }
    if ((*rec)->state == store::CredentialState::login_required) {
        co_return make_error(Errc::login_required, "the provider rejected the refresh token of " + resource(key) +
                                                       "; run: credctl login " + key.provider);
    }
    // Pending with no flight in this process: an earlier credd died mid-refresh.
    if ((*rec)->state == store::CredentialState::refresh_pending) {
        co_return im.forget_interrupted(key, std::move(**rec));
    }
    if (sk.empty() && !(*rec)->access_token.empty()) {
        CachedToken stored{(*rec)->access_token.clone(), (*rec)->access_expires_at, (*rec)->scope};
        im.cache.put(ck, stored);
        if ((*rec)->access_expires_at - now_epoch() >= want) co_return to_wire(std::move(stored));
    }
    auto flight = std::make_shared<Flight>(im.io, sk);
    im.flights[ck] = flight;
    flight->result = co_await im.refresh(key, std::move(**rec), std::move(scopes));
    im.flights.erase(ck);
    flight->done.cancel();
    if (!flight->result) co_return flight->result.error();
    if (auto hit = im.cache.get(ck + sk, now_epoch(), 0)) co_return to_wire(std::move(*hit));
    co_return make_error(Errc::provider_unavailable, "provider returned an access token that already expired");
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
        std::string state = "valid";
        if (flying) {
            state = "refreshing";
        } else if (r.state != store::CredentialState::valid) {
            state = "login_required";  // rejected, or a refresh interrupted by a crash
        }
        out.push_back({k.user, k.provider, r.issuer, r.subject, r.scope, r.created_at, r.updated_at,
                       r.access_expires_at, state});
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
        ProviderConfig cfg = *p;
        SecretBytes token = (*rec)->refresh_token.clone();
        http::Options opts = im.http_options(*p, p->retry_deadline);
        std::optional<oauth::Endpoints> known = im.known_endpoints(p->name);
        Revocation r = co_await asio::co_spawn(
            *im.pools.at(p->name), revoke_upstream(std::move(cfg), std::move(known), std::move(token), std::move(opts)),
            asio::use_awaitable);
        if (r.endpoints) im.endpoints[p->name] = *r.endpoints;
        removal.revoked = static_cast<bool>(r.result);
        if (!r.result) {
            removal.revocation_error = r.result.error().message;
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
    if (!*erased) co_return make_error(Errc::not_found, "no credential for " + resource(key));
    co_return removal;
}

Result<std::uint64_t> TokenService::count() { return impl_->store.count(); }

}  // namespace credctl::tokens
