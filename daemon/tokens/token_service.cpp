#include "daemon/tokens/token_service.hpp"

#include "common/log/log.hpp"
#include "daemon/store/change_feed.hpp"
#include "daemon/tokens/token_service_impl.hpp"

#include <boost/asio/io_context.hpp>

#include <optional>
#include <variant>

namespace credctl::tokens {
namespace {

namespace asio = boost::asio;

wire::AccessToken to_wire(CachedToken t) {
    wire::AccessToken a;
    a.access_token = std::move(t.access_token);
    a.expires_at = t.expires_at;
    a.scope = std::move(t.scope);
    return a;
}

// Why a caller got no token: its own deadline passed while the refresh went on.
Error gave_up(const store::CredentialKey& key, std::chrono::milliseconds waited) {
    return make_error(Errc::provider_unavailable, "provider " + key.provider + " did not answer the refresh of " +
                                                      resource(key) + " within the caller's timeout of " +
                                                      std::to_string(waited.count()) +
                                                      " ms; the refresh goes on in credd, ask again");
}

}  // namespace

TokenService::TokenService(asio::io_context& io, store::StoreRunner& runner, TokenServiceOptions options) {
    auto upstream = make_provider_upstream(options.provider_timeout);
    auto clock = make_system_clock(io);
    impl_ = std::make_unique<Impl>(io, runner, std::move(options), TokenServiceSeams{*upstream, *clock});
    impl_->owned_upstream = std::move(upstream);
    impl_->owned_clock = std::move(clock);
}

TokenService::TokenService(asio::io_context& io, store::StoreRunner& runner, TokenServiceOptions options,
                           TokenServiceSeams seams)
    : impl_(std::make_unique<Impl>(io, runner, std::move(options), seams)) {}

TokenService::TokenService(asio::io_context& io, store::Store& store, TokenServiceOptions options) {
    auto runner = std::make_unique<store::StoreRunner>(store, store::StorePlacement::caller);
    auto upstream = make_provider_upstream(options.provider_timeout);
    auto clock = make_system_clock(io);
    impl_ = std::make_unique<Impl>(io, *runner, std::move(options), TokenServiceSeams{*upstream, *clock});
    impl_->owned_runner = std::move(runner);
    impl_->owned_upstream = std::move(upstream);
    impl_->owned_clock = std::move(clock);
}

TokenService::TokenService(asio::io_context& io, store::Store& store, TokenServiceOptions options,
                           TokenServiceSeams seams) {
    auto runner = std::make_unique<store::StoreRunner>(store, store::StorePlacement::caller);
    impl_ = std::make_unique<Impl>(io, *runner, std::move(options), seams);
    impl_->owned_runner = std::move(runner);
}

TokenService::~TokenService() = default;

void TokenService::stop(std::function<void(std::chrono::seconds)> drain) {
    auto& im = *impl_;
    im.stop_waiting();
    im.drain = std::move(drain);
    if (!im.drain) return;
    std::optional<std::chrono::seconds> longest;
    for (const auto* under_way : {&im.flights, &im.reads}) {
        for (const auto& [ck, flight] : *under_way)
            longest = std::max(longest.value_or(std::chrono::seconds{}), im.longest_refresh(ck));
    }
    if (longest) im.drain(*longest);
}

// The store steps of a refresh (the pending mark, the commit, the lock's
// release on a fleet) take milliseconds on LMDB and a round trip or two on
// etcd; this is room for them on a slow disk or a cluster electing a leader.
constexpr std::chrono::seconds k_store_steps{10};

std::chrono::seconds TokenService::Impl::longest_refresh(const std::string& ck) const {
    const auto begin = ck.find('\0') + 1;
    const ProviderConfig* p = provider(ck.substr(begin, ck.find('\0', begin) - begin));
    if (p == nullptr) return k_store_steps;
    const auto exchange = p->timeout.count() > 0 ? p->timeout : options.provider_timeout;
    return p->retry_deadline + p->connect_timeout + exchange + k_store_steps;
}

const std::vector<ProviderConfig>& TokenService::providers() const {
    return impl_->options.providers;
}

std::uint64_t TokenService::refreshes() const {
    return impl_->upstream.attempts();
}

store::StoreRunner& TokenService::runner() {
    return impl_->runner;
}

asio::awaitable<Result<void>> TokenService::store_login(const store::CredentialKey& key, wire::StoreCredential login) {
    if (impl_->provider(key.provider) == nullptr) {
        co_return make_error(Errc::not_found, "provider " + key.provider + " is not configured");
    }
    const std::int64_t now = impl_->clock.now_epoch_seconds();
    store::CredentialRecord rec;
    rec.created_at = now;
    rec.access_token = std::move(login.access_token);
    rec.access_expires_at = rec.access_token.empty() ? 0 : login.access_expires_at;
    rec.scope = std::move(login.scope);
    rec.issuer = std::move(login.issuer);
    rec.subject = std::move(login.subject);
    rec.updated_at = now;
    rec.refreshed_at = now;
    // The creation time is kept across logins: read and write in one block.
    auto stored = co_await impl_->runner.run([&](store::Store& s) {
        if (auto old = s.get(key); old && *old) rec.created_at = (*old)->created_at;
        return s.put(key, rec, login.refresh_token);
    });
    if (!stored) co_return stored.error();
    const auto ck = credential_key(key);
    impl_->unavailable_since.erase(ck);  // a new grant: not a credential still failing
    impl_->events.valid(key.user, key.provider);
    impl_->cache.erase_prefix(ck);
    if (!rec.access_token.empty()) {
        impl_->cache.put(ck, CachedToken{rec.access_token.clone(), rec.access_expires_at, rec.scope, rec.subject});
    }
    co_return Result<void>{};
}

void TokenService::Impl::forget_changed() {
    store::ChangeFeed* feed = runner.change_feed();
    if (feed == nullptr) return;
    const store::Changes changes = feed->take();
    if (changes.everything) cache.erase_prefix("");
    const auto now = clock.now_epoch_seconds();
    for (const auto& k : changes.keys) cache.retire_prefix(credential_key(k), now);
}

TokenService::Impl::Answer TokenService::Impl::from_cache(const std::string& ck, const std::string& sk,
                                                          std::int64_t want, metrics::TokenSource source) {
    auto hit = cache.get(ck + sk, clock.now_epoch_seconds(), want);
    if (!hit) return std::nullopt;
    metrics().token_answered(source);
    return to_wire(std::move(*hit));
}

std::shared_ptr<Flight> TokenService::Impl::in_flight(const std::string& ck, bool& read) const {
    read = false;
    if (auto it = flights.find(ck); it != flights.end()) return it->second;
    const auto r = reads.find(ck);
    if (r == reads.end()) return nullptr;
    read = true;
    return r->second;
}

asio::awaitable<std::shared_ptr<Flight>> TokenService::Impl::begin_refresh(
    const store::CredentialKey& key, const std::string& sk, const std::vector<std::string>& scopes, std::int64_t want,
    std::optional<std::uint64_t> caller, Answer& answer) {
    auto started = co_await start_refresh(key, sk, scopes, want, caller);
    if (!started) {
        answer = Result<wire::AccessToken>(started.error());
        co_return nullptr;
    }
    if (!*started) co_return nullptr;
    if (auto* stored = std::get_if<CachedToken>(&**started)) {
        metrics().token_answered(metrics::TokenSource::cache);
        answer = to_wire(std::move(*stored));
        co_return nullptr;
    }
    co_return std::get<std::shared_ptr<Flight>>(**started);
}

TokenService::Impl::Answer TokenService::Impl::after_wait(const Flight& flight, bool read,
                                                          const store::CredentialKey& key, const std::string& ck,
                                                          const std::string& sk, std::chrono::milliseconds timeout) {
    if (!flight.finished()) return gave_up(key, timeout);
    // Another caller's read answers this one too: its error, or a token or
    // a flight to look at.
    if (read) return flight.result() ? Answer{} : Answer{flight.result().error()};
    // A refresh for another scope set used the one refresh token in the
    // meantime: look again, maybe start a refresh of our own.
    if (flight.scopes() != sk) return std::nullopt;
    if (!flight.result()) return flight.result().error();
    // The freshest token the provider gave, even if shorter than asked: the
    // one its flight kept, which the cache may have forgotten since.
    if (const auto& kept = flight.token(); kept && kept->expires_at > clock.now_epoch_seconds()) {
        metrics().token_answered(metrics::TokenSource::refresh);
        return to_wire(CachedToken{kept->access_token.clone(), kept->expires_at, kept->scope});
    }
    if (auto hit = from_cache(ck, sk, 0, metrics::TokenSource::refresh)) return hit;
    return make_error(Errc::provider_unavailable, "provider returned an access token that already expired");
}

asio::awaitable<Result<wire::AccessToken>> TokenService::token(store::CredentialKey key, std::chrono::seconds min_valid,
                                                               std::vector<std::string> scopes,
                                                               std::chrono::milliseconds timeout,
                                                               std::optional<std::uint64_t> caller) {
    auto& im = *impl_;
    const auto ck = credential_key(key);
    const auto sk = scope_key(scopes);
    const std::int64_t want = min_valid.count();
    const auto deadline = timeout.count() > 0 ? im.clock.steady_now() + timeout : Clock::SteadyTime::max();
    im.forget_changed();
    Impl::Answer answer;
    std::shared_ptr<Flight> flight;
    bool read = false;  // `flight` is another caller's read of the record
    for (;;) {
        if ((answer = im.from_cache(ck, sk, want, metrics::TokenSource::cache))) co_return std::move(*answer);
        flight = im.in_flight(ck, read);
        if (!flight) {
            // start_refresh() looks at the cache and the flights again after
            // its store read, so no second refresh can start.
            flight = co_await im.begin_refresh(key, sk, scopes, want, caller, answer);
            if (answer) co_return std::move(*answer);
            if (!flight) continue;
        }
        co_await wait_for(flight, im.clock, deadline);
        if ((answer = im.after_wait(*flight, read, key, ck, sk, timeout))) co_return std::move(*answer);
    }
}

std::optional<wire::AccessToken> TokenService::cached(const store::CredentialKey& key, std::chrono::seconds min_valid,
                                                      const std::vector<std::string>& scopes) {
    auto& im = *impl_;
    im.forget_changed();
    auto answer = im.from_cache(credential_key(key), scope_key(scopes), min_valid.count(), metrics::TokenSource::cache);
    if (!answer) return std::nullopt;
    return std::move(**answer);  // from the cache: never an error
}

asio::awaitable<Result<std::vector<wire::CredentialInfo>>> TokenService::list(const std::string& user) {
    // One block: the keys and their records as one view of the store. Each
    // record is cut down to what a listing shows as soon as it is read, so
    // that its access token (guarded memory, a few mappings each) is freed
    // at once: a store of 100,000 credentials must not hold them all.
    using Listed = std::vector<std::pair<store::CredentialKey, wire::CredentialInfo>>;
    auto listed = co_await impl_->runner.run([&](store::Store& s) -> Result<Listed> {
        auto keys = s.keys(user);
        if (!keys) return keys.error();
        Listed out;
        for (auto& k : *keys) {
            auto rec = s.get(k);
            if (!rec) return rec.error();
            if (!*rec) continue;
            const auto& r = **rec;
            // login_required: rejected, or a refresh interrupted by a crash.
            const char* state = r.state == store::CredentialState::valid ? "valid" : "login_required";
            out.emplace_back(k, wire::CredentialInfo{k.user, k.provider, r.issuer, r.subject, r.scope, r.created_at,
                                                     r.updated_at, r.access_expires_at, state, 0});
        }
        return out;
    });
    if (!listed) co_return listed.error();
    std::vector<wire::CredentialInfo> out;
    out.reserve(listed->size());
    for (auto& [k, info] : *listed) {
        const auto unavailable = impl_->unavailable_since.find(credential_key(k));
        if (impl_->flights.contains(credential_key(k))) {
            info.state = "refreshing";
        } else if (info.state == "valid" && unavailable != impl_->unavailable_since.end()) {
            info.state = "provider_unavailable";
            info.unavailable_since = unavailable->second;
        }
        out.push_back(std::move(info));
    }
    co_return out;
}

asio::awaitable<Result<Removal>> TokenService::remove(const store::CredentialKey& key, Revoke revoke,
                                                      OnRevokeFailure on_failure) {
    auto& im = *impl_;
    const auto ck = credential_key(key);
    // A refresh in progress would write the record back after the erase;
    // one may start while the record is read, so look again after it.
    Result<std::optional<store::CredentialRecord>> rec = std::nullopt;
    do {
        while (im.flights.contains(ck)) {
            auto flight = im.flights.at(ck);
            co_await wait_for(flight, im.clock, Clock::SteadyTime::max());
        }
        rec = co_await im.runner.run([&](store::Store& s) { return s.get(key); });
    } while (im.flights.contains(ck));
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
        auto refresh_token = co_await im.runner.run([&](store::Store& s) { return s.refresh_token(key); });
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
    auto erased = co_await im.runner.run([&](store::Store& s) { return s.erase(key); });
    if (!erased) co_return erased.error();
    im.cache.erase_prefix(ck);
    im.unavailable_since.erase(ck);
    if (!*erased) co_return make_error(Errc::not_found, "no credential for " + resource(key));
    co_return removal;
}

asio::awaitable<Result<std::uint64_t>> TokenService::count() {
    co_return co_await impl_->runner.run([](store::Store& s) { return s.count(); });
}

}  // namespace credctl::tokens
