#include "daemon/tokens/upstream.hpp"

#include "common/log/log.hpp"
#include "common/oauth/oauth_async.hpp"
#include "daemon/tokens/backoff.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <map>
#include <thread>

namespace credctl::tokens {
namespace {

namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;

}  // namespace

struct Upstream::Impl {
    Impl() : work(asio::make_work_guard(exchanges)), thread([this] { exchanges.run(); }) {}
    ~Impl() {
        work.reset();
        exchanges.stop();
        thread.join();
    }
    Impl(const Impl&) = delete;
    Impl& operator=(const Impl&) = delete;

    std::chrono::seconds default_timeout{};
    std::map<std::string, oauth::Endpoints> endpoints;  // by provider name, once discovered
    std::uint64_t attempts = 0;
    BackoffPolicy backoff;
    // The provider exchanges' own thread (see the header).
    asio::io_context exchanges{1};
    asio::executor_work_guard<asio::io_context::executor_type> work;
    std::thread thread;

    // Runs `exchange` on the exchanges' thread; the caller resumes on its own.
    // Not a coroutine, so its prvalue argument is safe (GCC PR 99576).
    template <class T>
    asio::awaitable<T> on_exchange_thread(asio::awaitable<T> exchange) {
        return asio::co_spawn(exchanges, std::move(exchange), asio::use_awaitable);
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

    // The provider's endpoints, discovering them the first time.
    asio::awaitable<oauth::Discovery> endpoints_of(const ProviderConfig& p, const http::Options& opts) {
        if (auto it = endpoints.find(p.name); it != endpoints.end()) co_return oauth::Discovery{it->second, false};
        oauth::Discovery d = co_await on_exchange_thread(oauth::async_discover(p, opts));
        if (d.endpoints) endpoints[p.name] = *d.endpoints;
        co_return d;
    }

    asio::awaitable<oauth::Attempt> attempt(const ProviderConfig& p, const SecretBytes& refresh_token,
                                            const std::vector<std::string>& scopes, const http::Options& opts) {
        oauth::Discovery d = co_await endpoints_of(p, opts);
        if (!d.endpoints) co_return oauth::Attempt{d.endpoints.error(), d.retryable};
        const oauth::Endpoints& e = *d.endpoints;
        co_return co_await on_exchange_thread(oauth::async_refresh(e, p, refresh_token, scopes, opts));
    }
};

Upstream::Upstream(std::chrono::seconds default_timeout) : impl_(std::make_unique<Impl>()) {
    impl_->default_timeout = default_timeout;
}

Upstream::~Upstream() = default;

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
    for (unsigned n = 1;; ++n) {
        ++im.attempts;
        const http::Options opts = im.http_options(p, deadline - Clock::now());
        oauth::Attempt last = co_await im.attempt(p, refresh_token, scopes, opts);
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
    const http::Options opts = im.http_options(p, p.retry_deadline);
    oauth::Discovery d = co_await im.endpoints_of(p, opts);
    if (!d.endpoints) co_return d.endpoints.error();
    const oauth::Endpoints& e = *d.endpoints;
    co_return co_await im.on_exchange_thread(oauth::async_revoke(e, p, refresh_token, opts));
}

}  // namespace credctl::tokens
