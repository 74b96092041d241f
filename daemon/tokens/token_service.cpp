#include "daemon/tokens/token_service.hpp"

#include "common/log/log.hpp"
#include "common/oauth/oauth_client.hpp"
#include "daemon/tokens/token_cache.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <map>
#include <optional>

namespace credctl::tokens {
namespace {

namespace asio = boost::asio;

// RFC 6749 §5.1 lets a provider omit expires_in; assume an hour then.
constexpr std::int64_t k_default_lifetime_seconds = 3600;

std::int64_t now_epoch() {
    return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

std::string cache_key(const store::CredentialKey& k) { return k.user + std::string(1, '\0') + k.provider; }

wire::AccessToken to_wire(CachedToken t) {
    wire::AccessToken a;
    a.access_token = std::move(t.access_token);
    a.expires_at = t.expires_at;
    a.scope = std::move(t.scope);
    return a;
}

// One refresh in progress; waiters park on the timer until it is cancelled.
struct Flight {
    explicit Flight(asio::io_context& io) : done(io, asio::steady_timer::time_point::max()) {}
    asio::steady_timer done;
    Result<void> result = make_error(Errc::internal, "refresh did not complete");
};

struct RefreshOutcome {
    oauth::Endpoints endpoints;
    Result<oauth::TokenSet> tokens = make_error(Errc::internal, "refresh did not run");
};

// Runs on the worker pool: discovery when needed, then the refresh grant.
// A free function with named arguments rather than a capturing lambda: g++ 12
// destroys a coroutine lambda's captures twice under co_spawn.
asio::awaitable<RefreshOutcome> refresh_upstream(ProviderConfig cfg, std::optional<oauth::Endpoints> known,
                                                 SecretBytes refresh_token, http::Options opts) {
    RefreshOutcome out;
    if (known) {
        out.endpoints = std::move(*known);
    } else {
        auto e = oauth::discover(cfg, opts);
        if (!e) {
            out.tokens = e.error();
            co_return out;
        }
        out.endpoints = std::move(*e);
    }
    out.tokens = oauth::refresh(out.endpoints, cfg, refresh_token, {}, opts);
    co_return out;
}

}  // namespace

struct TokenService::Impl {
    Impl(asio::io_context& io_, store::Store& store_, TokenServiceOptions options_)
        : io(io_), store(store_), options(std::move(options_)), pool(options.worker_threads) {}

    asio::io_context& io;
    store::Store& store;
    TokenServiceOptions options;
    asio::thread_pool pool;
    TokenCache cache;
    std::map<std::string, std::shared_ptr<Flight>> flights;
    std::map<std::string, oauth::Endpoints> endpoints;
    // Credentials whose last refresh failed for a transient reason, and
    // since when: `credctl status` shows them as provider_unavailable.
    std::map<std::string, std::int64_t> unavailable_since;
    std::uint64_t refreshes = 0;

    const ProviderConfig* provider(const std::string& name) const {
        for (const auto& p : options.providers) {
            if (p.name == name) return &p;
        }
        return nullptr;
    }

    http::Options http_options(const ProviderConfig& p) const {
        http::Options o;
        o.timeout = options.provider_timeout;
        o.ca_file = p.ca_file;
        return o;
    }

    asio::awaitable<Result<void>> refresh(const store::CredentialKey& key, store::CredentialRecord& record);
    Result<void> commit_refresh(const store::CredentialKey& key, store::CredentialRecord record, oauth::TokenSet t);
};

asio::awaitable<Result<void>> TokenService::Impl::refresh(const store::CredentialKey& key,
                                                          store::CredentialRecord& record) {
    const ProviderConfig* p = provider(key.provider);
    if (p == nullptr) co_return make_error(Errc::not_found, "provider " + key.provider + " is not configured");
    std::optional<oauth::Endpoints> known;
    if (auto it = endpoints.find(p->name); it != endpoints.end()) known = it->second;
    ++refreshes;
    // The provider call blocks, so it runs on the pool; the store commit
    // below runs back on the I/O thread, which owns the store.
    ProviderConfig cfg = *p;
    http::Options opts = http_options(*p);
    SecretBytes refresh_token = record.refresh_token.clone();
    RefreshOutcome outcome = co_await asio::co_spawn(
        pool, refresh_upstream(std::move(cfg), std::move(known), std::move(refresh_token), std::move(opts)),
        asio::use_awaitable);
    if (!outcome.tokens) {
        if (outcome.tokens.error().code == Errc::provider_unavailable) {
            unavailable_since.try_emplace(cache_key(key), now_epoch());
        } else {
            unavailable_since.erase(cache_key(key));
        }
        if (outcome.tokens.error().code == Errc::login_required) {
            record.state = store::CredentialState::login_required;
            record.updated_at = now_epoch();
            if (auto r = store.put(key, record); !r) log::error("store: cannot mark login_required: " + r.error().message);
        }
        co_return outcome.tokens.error();
    }
    endpoints[p->name] = outcome.endpoints;
    co_return commit_refresh(key, std::move(record), std::move(*outcome.tokens));
}

Result<void> TokenService::Impl::commit_refresh(const store::CredentialKey& key, store::CredentialRecord record,
                                                oauth::TokenSet t) {
    const std::int64_t now = now_epoch();
    record.access_token = std::move(t.access_token);
    record.access_expires_at = now + (t.expires_in > 0 ? t.expires_in : k_default_lifetime_seconds);
    if (!t.refresh_token.empty()) {
        record.refresh_token = std::move(t.refresh_token);
        ++record.rotation;
    }
    if (!t.scope.empty()) record.scope = t.scope;
    record.updated_at = now;
    record.state = store::CredentialState::valid;
    // Durable before anyone sees the new access token: if this fails the
    // rotated refresh token would be lost, so nothing is served.
    if (auto r = store.put(key, record); !r) return r.error();
    unavailable_since.erase(cache_key(key));
    cache.put(cache_key(key), CachedToken{record.access_token.clone(), record.access_expires_at, record.scope});
    return {};
}

TokenService::TokenService(asio::io_context& io, store::Store& store, TokenServiceOptions options)
    : impl_(std::make_unique<Impl>(io, store, std::move(options))) {}

TokenService::~TokenService() { shutdown(); }

void TokenService::shutdown() {
    impl_->pool.stop();
    impl_->pool.join();
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
    const auto ck = cache_key(key);
    impl_->cache.erase(ck);
    if (!rec.access_token.empty()) {
        impl_->cache.put(ck, CachedToken{rec.access_token.clone(), rec.access_expires_at, rec.scope});
    }
    return {};
}

asio::awaitable<Result<wire::AccessToken>> TokenService::token(const store::CredentialKey& key,
                                                              std::chrono::seconds min_valid) {
    auto& im = *impl_;
    const auto ck = cache_key(key);
    const std::int64_t want = min_valid.count();
    if (auto hit = im.cache.get(ck, now_epoch(), want)) co_return to_wire(std::move(*hit));
    if (auto it = im.flights.find(ck); it != im.flights.end()) {
        auto flight = it->second;
        co_await flight->done.async_wait(asio::as_tuple(asio::use_awaitable));
        if (!flight->result) co_return flight->result.error();
        // The freshest token the provider gave, even if shorter than asked.
        if (auto hit = im.cache.get(ck, now_epoch(), 0)) co_return to_wire(std::move(*hit));
        co_return make_error(Errc::provider_unavailable, "provider returned an access token that already expired");
    }
    // No co_await between the miss above and registering the flight below,
    // so no second leader can start.
    auto rec = im.store.get(key);
    if (!rec) co_return rec.error();
    if (!*rec) {
        co_return make_error(Errc::not_found, "no credential for credentials/" + key.user + "/" + key.provider +
                                                  "; run: credctl login " + key.provider);
    }
    if ((*rec)->state == store::CredentialState::login_required) {
        co_return make_error(Errc::login_required, "the provider rejected the refresh token of credentials/" +
                                                       key.user + "/" + key.provider + "; run: credctl login " +
                                                       key.provider);
    }
    if (!(*rec)->access_token.empty()) {
        CachedToken stored{(*rec)->access_token.clone(), (*rec)->access_expires_at, (*rec)->scope};
        im.cache.put(ck, stored);
        if ((*rec)->access_expires_at - now_epoch() >= want) co_return to_wire(std::move(stored));
    }
    auto flight = std::make_shared<Flight>(im.io);
    im.flights[ck] = flight;
    flight->result = co_await im.refresh(key, **rec);
    im.flights.erase(ck);
    flight->done.cancel();
    if (!flight->result) co_return flight->result.error();
    if (auto hit = im.cache.get(ck, now_epoch(), 0)) co_return to_wire(std::move(*hit));
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
        std::string state = "valid";
        std::int64_t since = 0;
        if (r.state == store::CredentialState::login_required) {
            state = "login_required";
        } else if (impl_->flights.contains(cache_key(k))) {
            state = "refreshing";
        } else if (auto it = impl_->unavailable_since.find(cache_key(k)); it != impl_->unavailable_since.end()) {
            state = "provider_unavailable";
            since = it->second;
        }
        out.push_back({k.user, k.provider, r.issuer, r.subject, r.scope, r.created_at, r.updated_at,
                       r.access_expires_at, state, since});
    }
    return out;
}

Result<bool> TokenService::remove(const store::CredentialKey& key) {
    impl_->cache.erase(cache_key(key));
    impl_->unavailable_since.erase(cache_key(key));
    return impl_->store.erase(key);
}

Result<std::uint64_t> TokenService::count() { return impl_->store.count(); }

}  // namespace credctl::tokens
