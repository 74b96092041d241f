#include "daemon/tokens/upstream.hpp"

#include "common/log/log.hpp"
#include "daemon/tokens/backoff.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <map>
#include <optional>

namespace credctl::tokens {
namespace {

namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;

struct Refreshed {
    std::optional<oauth::Endpoints> endpoints;
    oauth::Attempt attempt;
};

// Runs on the provider's worker pool: discovery when needed, then one
// refresh attempt. A free function with named arguments rather than a
// capturing lambda: g++ 12 destroys a coroutine lambda's captures twice under
// co_spawn.
asio::awaitable<Refreshed> refresh_upstream(ProviderConfig cfg, std::optional<oauth::Endpoints> known,
                                            SecretBytes refresh_token, std::vector<std::string> scopes,
                                            http::Options opts) {
    Refreshed out;
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

struct Upstream::Impl {
    std::chrono::seconds default_timeout;
    // One pool per provider: a provider that hangs occupies only its own threads.
    std::map<std::string, std::unique_ptr<asio::thread_pool>> pools;
    std::map<std::string, oauth::Endpoints> endpoints;  // by provider name
    std::uint64_t attempts = 0;
    BackoffPolicy backoff;

    std::optional<oauth::Endpoints> known_endpoints(const std::string& name) const {
        if (auto it = endpoints.find(name); it != endpoints.end()) return it->second;
        return std::nullopt;
    }

    http::Options http_options(const ProviderConfig& p, Clock::duration remaining) const {
        http::Options o;
        o.connect_timeout = std::chrono::duration_cast<std::chrono::milliseconds>(p.connect_timeout);
        const auto per_exchange = p.timeout.count() > 0 ? p.timeout : default_timeout;
        o.timeout =
            std::chrono::duration_cast<std::chrono::milliseconds>(std::min<Clock::duration>(per_exchange, remaining));
        o.ca_file = p.ca_file;
        return o;
    }
};

Upstream::Upstream(const std::vector<ProviderConfig>& providers, std::chrono::seconds default_timeout,
                   std::size_t threads_per_provider)
    : impl_(std::make_unique<Impl>()) {
    impl_->default_timeout = default_timeout;
    for (const auto& p : providers) {
        impl_->pools.emplace(p.name, std::make_unique<asio::thread_pool>(threads_per_provider));
    }
}

Upstream::~Upstream() {
    shutdown();
}

void Upstream::shutdown() {
    for (auto& [name, pool] : impl_->pools) pool->stop();
    for (auto& [name, pool] : impl_->pools) pool->join();
}

std::uint64_t Upstream::attempts() const {
    return impl_->attempts;
}

// Attempts until one succeeds, fails for good, or the next wait would pass
// the provider's retry deadline.
asio::awaitable<oauth::Attempt> Upstream::refresh(const ProviderConfig& p, const SecretBytes& refresh_token,
                                                  const std::vector<std::string>& scopes) {
    auto& im = *impl_;
    const auto start = Clock::now();
    const auto deadline = start + p.retry_deadline;
    oauth::Attempt last;
    for (unsigned n = 1;; ++n) {
        ++im.attempts;
        ProviderConfig cfg = p;
        SecretBytes token = refresh_token.clone();
        std::vector<std::string> asked = scopes;
        http::Options opts = im.http_options(p, deadline - Clock::now());
        std::optional<oauth::Endpoints> known = im.known_endpoints(p.name);
        Refreshed up = co_await asio::co_spawn(
            *im.pools.at(p.name),
            refresh_upstream(std::move(cfg), std::move(known), std::move(token), std::move(asked), std::move(opts)),
            asio::use_awaitable);
        if (up.endpoints) im.endpoints[p.name] = *up.endpoints;
        last = std::move(up.attempt);
        if (last.tokens || last.tokens.error().code == Errc::login_required) co_return last;
        const auto delay = backoff_delay(im.backoff, n);
        if (!last.retryable || Clock::now() + delay >= deadline) {
            const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start).count();
            last.tokens =
                make_error(last.tokens.error().code, "provider " + p.name + " did not answer usably after " +
                                                         std::to_string(n) + " attempt(s) in " + std::to_string(ms) +
                                                         " ms: " + last.tokens.error().message);
            co_return last;
        }
        log::warning("refresh at provider " + p.name + " failed (" + last.tokens.error().message + "); retry " +
                     std::to_string(n) + " in " + std::to_string(delay.count()) + " ms");
        asio::steady_timer timer(co_await asio::this_coro::executor, delay);
        co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
    }
}

asio::awaitable<Result<void>> Upstream::revoke(const ProviderConfig& p, const SecretBytes& refresh_token) {
    auto& im = *impl_;
    ProviderConfig cfg = p;
    SecretBytes token = refresh_token.clone();
    http::Options opts = im.http_options(p, p.retry_deadline);
    std::optional<oauth::Endpoints> known = im.known_endpoints(p.name);
    Revocation r = co_await asio::co_spawn(
        *im.pools.at(p.name), revoke_upstream(std::move(cfg), std::move(known), std::move(token), std::move(opts)),
        asio::use_awaitable);
    if (r.endpoints) im.endpoints[p.name] = *r.endpoints;
    co_return r.result;
}

}  // namespace credctl::tokens
