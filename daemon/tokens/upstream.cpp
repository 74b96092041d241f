#include "daemon/tokens/upstream.hpp"

#include "common/log/log.hpp"
#include "common/oauth/oauth_async.hpp"
#include "daemon/tokens/backoff.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <atomic>
#include <map>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace credctl::tokens {

namespace asio = boost::asio;

// A connection being opened ahead of a refresh. Touched on the exchanges'
// thread only, once made: by the coroutine that opens the connection and by
// the refresh that takes it.
struct Opening {
    bool done = false;
    Attempt<http::Connection> opened;
    asio::steady_timer* waiting = nullptr;  // the refresh that waits for `done`
};

// The caller's handle on an Opening. Its connection belongs to the
// exchanges' thread, so the handle lets go of it there, while the upstream
// lives; once the upstream is gone, it closed the connection itself.
class Warmup {
public:
    Warmup(std::shared_ptr<Opening> opening, asio::io_context::executor_type ex, std::weak_ptr<void> upstream)
        : opening_(std::move(opening)), ex_(std::move(ex)), upstream_(std::move(upstream)) {}
    ~Warmup() {
        if (opening_ && !upstream_.expired()) asio::post(ex_, [last = std::move(opening_)] {});
    }
    Warmup(const Warmup&) = delete;
    Warmup& operator=(const Warmup&) = delete;
    [[nodiscard]] const std::shared_ptr<Opening>& opening() const { return opening_; }

private:
    std::shared_ptr<Opening> opening_;
    asio::io_context::executor_type ex_;
    std::weak_ptr<void> upstream_;
};

namespace {

using Clock = std::chrono::steady_clock;

// Opens `w`'s connection to `url` (none when empty); wakes a refresh that
// came before it was open. Owns copies of its arguments: nobody awaits it.
asio::awaitable<void> open_ahead(std::shared_ptr<Opening> w, std::string url, http::Options opts) {
    if (url.empty()) {
        w->opened = Attempt<http::Connection>{make_error(Errc::internal, "no endpoint known to open ahead"), false};
    } else {
        w->opened = co_await http::async_connect(url, opts);
    }
    w->done = true;
    if (w->waiting != nullptr) w->waiting->cancel();
}

// The connection `w` opened, once it is; empty when it failed (the exchange
// then connects again, and reports its own failure).
asio::awaitable<http::Connection> take(Opening& w) {
    if (!w.done) {
        asio::steady_timer parked(co_await asio::this_coro::executor, asio::steady_timer::time_point::max());
        w.waiting = &parked;
        co_await parked.async_wait(asio::as_tuple(asio::use_awaitable));
        w.waiting = nullptr;
    }
    if (!w.done || !w.opened.result) co_return http::Connection();
    co_return std::move(*w.opened.result);
}

// The refresh grant over `warm`'s connection when there is one.
asio::awaitable<Attempt<oauth::TokenSet>> refresh_over(const oauth::Endpoints& e, const ProviderConfig& p,
                                                       const SecretBytes& refresh_token,
                                                       const std::vector<std::string>& scopes,
                                                       const http::Options& opts, std::shared_ptr<Warmup> warm) {
    http::Connection connection;
    if (warm) connection = co_await take(*warm->opening());
    co_return co_await oauth::async_refresh(e, p, refresh_token, scopes, opts, &connection);
}

class ProviderUpstream final : public Upstream {
public:
    explicit ProviderUpstream(std::chrono::seconds default_timeout)
        : default_timeout_(default_timeout),
          work_(asio::make_work_guard(exchanges_)),
          thread_([this] { exchanges_.run(); }) {}
    ~ProviderUpstream() override {
        work_.reset();
        exchanges_.stop();
        thread_.join();
        // Connections opened ahead close while their io_context is alive;
        // a Warmup still held lets go of an empty Opening.
        for (auto& o : openings_) {
            if (auto opening = o.lock()) opening->opened = Attempt<http::Connection>{};
        }
        alive_.reset();
    }
    ProviderUpstream(const ProviderUpstream&) = delete;
    ProviderUpstream& operator=(const ProviderUpstream&) = delete;

    std::shared_ptr<Warmup> warm_up(const ProviderConfig& p) override;
    // Not coroutines: each runs its exchange on the exchanges' thread, and
    // the caller resumes on its own (see the header).
    asio::awaitable<Attempt<oauth::TokenSet>> refresh(const ProviderConfig& p, const SecretBytes& refresh_token,
                                                      const std::vector<std::string>& scopes,
                                                      std::shared_ptr<Warmup> warm) override {
        return asio::co_spawn(exchanges_, refresh_here(p, refresh_token, scopes, std::move(warm)), asio::use_awaitable);
    }
    asio::awaitable<Result<void>> revoke(const ProviderConfig& p, const SecretBytes& refresh_token) override {
        return asio::co_spawn(exchanges_, revoke_here(p, refresh_token), asio::use_awaitable);
    }
    std::uint64_t attempts() const override { return attempts_; }
    asio::any_io_executor steps_executor() override { return exchanges_.get_executor(); }

private:
    // On the exchanges' thread, as every function below.
    asio::awaitable<Attempt<oauth::TokenSet>> refresh_here(const ProviderConfig& p, const SecretBytes& refresh_token,
                                                           const std::vector<std::string>& scopes,
                                                           std::shared_ptr<Warmup> warm);
    asio::awaitable<Result<void>> revoke_here(const ProviderConfig& p, const SecretBytes& refresh_token);
    // Opens `w`'s connection to the token endpoint of the provider named
    // `name`, if its endpoints are known. Owns copies of its arguments.
    asio::awaitable<void> open_known(std::shared_ptr<Opening> w, std::string name, http::Options opts) {
        const auto it = endpoints_.find(name);
        std::string url = it == endpoints_.end() ? std::string() : it->second.token_endpoint;
        co_await open_ahead(std::move(w), std::move(url), std::move(opts));
    }

    http::Options http_options(const ProviderConfig& p, Clock::duration remaining) const {
        http::Options o;
        o.connect_timeout = std::chrono::duration_cast<std::chrono::milliseconds>(p.connect_timeout);
        const auto per_exchange = p.timeout.count() > 0 ? p.timeout : default_timeout_;
        o.timeout =
            std::chrono::duration_cast<std::chrono::milliseconds>(std::min<Clock::duration>(per_exchange, remaining));
        o.ca_file = p.ca_file;
        return o;
    }

    // The provider's endpoints, discovering them the first time.
    asio::awaitable<Attempt<oauth::Endpoints>> endpoints_of(const ProviderConfig& p, const http::Options& opts) {
        if (auto it = endpoints_.find(p.name); it != endpoints_.end())
            co_return Attempt<oauth::Endpoints>{it->second, false};
        Attempt<oauth::Endpoints> d = co_await oauth::async_discover(p, opts);
        if (d.result) endpoints_[p.name] = *d.result;
        co_return d;
    }

    asio::awaitable<Attempt<oauth::TokenSet>> attempt(const ProviderConfig& p, const SecretBytes& refresh_token,
                                                      const std::vector<std::string>& scopes, const http::Options& opts,
                                                      std::shared_ptr<Warmup> warm) {
        Attempt<oauth::Endpoints> d = co_await endpoints_of(p, opts);
        if (!d.result) co_return Attempt<oauth::TokenSet>{d.result.error(), d.retryable};
        const oauth::Endpoints& e = *d.result;
        co_return co_await refresh_over(e, p, refresh_token, scopes, opts, std::move(warm));
    }

    std::chrono::seconds default_timeout_{};
    std::map<std::string, oauth::Endpoints> endpoints_;  // by provider name, once discovered
    std::atomic<std::uint64_t> attempts_ = 0;
    BackoffPolicy backoff_;
    std::vector<std::weak_ptr<Opening>> openings_;            // for the destructor
    std::shared_ptr<void> alive_ = std::make_shared<int>(0);  // Warmup's sign that this lives
    // The provider exchanges' own thread (see the header).
    asio::io_context exchanges_{1};
    asio::executor_work_guard<asio::io_context::executor_type> work_;
    std::thread thread_;
};

std::shared_ptr<Warmup> ProviderUpstream::warm_up(const ProviderConfig& p) {
    std::erase_if(openings_, [](const std::weak_ptr<Opening>& o) { return o.expired(); });
    auto opening = std::make_shared<Opening>();
    openings_.push_back(opening);
    asio::co_spawn(exchanges_, open_known(opening, p.name, http_options(p, p.retry_deadline)), asio::detached);
    return std::make_shared<Warmup>(std::move(opening), exchanges_.get_executor(), alive_);
}

// Attempts until one succeeds, fails for good, or the next wait would pass
// the provider's retry deadline. Only the first goes over `warm`.
asio::awaitable<Attempt<oauth::TokenSet>> ProviderUpstream::refresh_here(const ProviderConfig& p,
                                                                         const SecretBytes& refresh_token,
                                                                         const std::vector<std::string>& scopes,
                                                                         std::shared_ptr<Warmup> warm) {
    const auto start = Clock::now();
    const auto deadline = start + p.retry_deadline;
    // The failure of the latest attempt that failed otherwise than the
    // current one: a last attempt the deadline cut short (timed out) must
    // not hide what the provider said before (HTTP 503).
    std::string previous;
    std::string earlier;
    for (unsigned n = 1;; ++n) {
        ++attempts_;
        const http::Options opts = http_options(p, deadline - Clock::now());
        Attempt<oauth::TokenSet> last = co_await attempt(p, refresh_token, scopes, opts, std::move(warm));
        warm = nullptr;
        if (last.result || last.result.error().code == Errc::login_required) co_return last;
        const std::string& failure = last.result.error().message;
        if (previous != failure) earlier = std::exchange(previous, failure);
        const auto delay = backoff_delay(backoff_, n);
        if (!last.retryable || Clock::now() + delay >= deadline) {
            const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start).count();
            last.result = make_error(last.result.error().code,
                                     "provider " + p.name + " did not answer usably after " + std::to_string(n) +
                                         " attempt(s) in " + std::to_string(ms) + " ms: " + failure +
                                         (earlier.empty() ? "" : "; an earlier attempt: " + earlier));
            co_return last;
        }
        log::warning("refresh at provider " + p.name + " failed (" + failure + "); retry " + std::to_string(n) +
                     " in " + std::to_string(delay.count()) + " ms");
        asio::steady_timer timer(co_await asio::this_coro::executor, delay);
        co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
    }
}

asio::awaitable<Result<void>> ProviderUpstream::revoke_here(const ProviderConfig& p, const SecretBytes& refresh_token) {
    const http::Options opts = http_options(p, p.retry_deadline);
    Attempt<oauth::Endpoints> d = co_await endpoints_of(p, opts);
    if (!d.result) co_return d.result.error();
    const oauth::Endpoints& e = *d.result;
    co_return co_await oauth::async_revoke(e, p, refresh_token, opts);
}

}  // namespace

std::unique_ptr<Upstream> make_provider_upstream(std::chrono::seconds default_timeout) {
    return std::make_unique<ProviderUpstream>(default_timeout);
}

}  // namespace credctl::tokens
