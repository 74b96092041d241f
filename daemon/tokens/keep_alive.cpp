#include "daemon/tokens/keep_alive.hpp"

#include "common/log/log.hpp"
#include "daemon/store/store_runner.hpp"
#include "daemon/tokens/token_service.hpp"

#include <sodium.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>
#include <exception>

namespace credctl::tokens {
namespace {

namespace asio = boost::asio;
using std::chrono::milliseconds;

// The jitter window is the last tenth of a period, at most an hour: a
// thousand credentials due together refresh at about one every 4 s.
constexpr milliseconds k_max_window = std::chrono::hours(1);
// The store is read every tenth of a period, between these bounds.
constexpr milliseconds k_min_scan = std::chrono::seconds(1);
constexpr milliseconds k_max_scan = std::chrono::minutes(10);
// Records read between two yields of the I/O thread to waiting requests.
constexpr std::size_t k_scan_batch = 64;

std::string name(const store::CredentialKey& k) {
    return k.user + '\0' + k.provider;
}

std::string resource(const store::CredentialKey& k) {
    return "credentials/" + k.user + "/" + k.provider;
}

double secure_draw() {
    constexpr std::uint32_t k_steps = 1U << 24;
    return static_cast<double>(randombytes_uniform(k_steps)) / k_steps;
}

}  // namespace

KeepAliveTiming keep_alive_timing(std::chrono::seconds period) {
    const milliseconds tenth = std::chrono::duration_cast<milliseconds>(period) / 10;
    return {std::min(tenth, k_max_window), std::clamp(tenth, k_min_scan, k_max_scan)};
}

std::optional<std::int64_t> keep_alive_due_ms(std::int64_t refreshed_at, std::chrono::seconds period,
                                              std::int64_t now_ms, double draw) {
    const auto timing = keep_alive_timing(period);
    const std::int64_t window = timing.window.count();
    const std::int64_t earliest = (refreshed_at + period.count()) * 1000 - window;
    if (earliest > now_ms + timing.scan_every.count()) return std::nullopt;  // the next scan arms it
    const auto jitter = static_cast<std::int64_t>(std::clamp(draw, 0.0, 1.0) * static_cast<double>(window));
    return std::max(earliest, now_ms) + std::min(jitter, window);
}

KeepAlive::KeepAlive(asio::io_context& io, TokenService& tokens, const std::vector<ProviderConfig>& providers)
    : KeepAlive(io, tokens, tokens.runner(), *make_system_clock(io).release(), providers, secure_draw) {
    owned_clock_.reset(&clock_);
}

KeepAlive::KeepAlive(asio::io_context& io, TokenService& tokens, store::StoreRunner& runner, Clock& clock,
                     const std::vector<ProviderConfig>& providers, Draw draw)
    : io_(io), tokens_(tokens), runner_(runner), clock_(clock), draw_(draw ? std::move(draw) : Draw(secure_draw)) {
    for (const auto& p : providers) {
        if (p.keep_alive.count() <= 0) continue;
        periods_[p.name] = p.keep_alive;
        const auto every = keep_alive_timing(p.keep_alive).scan_every;
        scan_every_ = scan_every_.count() == 0 ? every : std::min(scan_every_, every);
    }
}

KeepAlive::~KeepAlive() {
    *alive_ = false;
}

void KeepAlive::start() {
    if (periods_.empty() || stopped_) return;
    for (const auto& [provider, period] : periods_) {
        log::info("keep-alive: provider " + provider + " credentials are refreshed after " +
                  std::to_string(period.count()) + " s without a refresh");
    }
    arm_scan(milliseconds::zero());
}

void KeepAlive::stop() {
    stopped_ = true;
    next_scan_.reset();
    // Armed refreshes are disarmed; those in flight end on their own.
    std::erase_if(armed_, [](const auto& a) { return a.second.alarm != nullptr; });
}

void KeepAlive::arm_scan(milliseconds after) {
    next_scan_ = clock_.alarm(clock_.steady_now() + after, [this] {
        if (stopped_ || scanning_) return;
        scanning_ = true;
        asio::co_spawn(io_, scan(), [](const std::exception_ptr& e) {
            if (e) log::error("keep-alive: a scan ended with an exception");
        });
    });
}

std::chrono::seconds KeepAlive::period_of(const std::string& provider) const {
    const auto it = periods_.find(provider);
    return it == periods_.end() ? std::chrono::seconds::zero() : it->second;
}

asio::awaitable<void> KeepAlive::scan() {
    const auto alive = alive_;
    auto keys = co_await runner_.run([](store::Store& s) { return s.keys(""); });
    if (!*alive || stopped_) co_return;
    if (!keys) log::warning("keep-alive: cannot list credentials: " + keys.error().message);
    const auto all = keys ? std::move(*keys) : std::vector<store::CredentialKey>{};
    for (std::size_t at = 0; at < all.size(); at += k_scan_batch) {
        std::vector<store::CredentialKey> batch;
        for (std::size_t i = at; i < std::min(at + k_scan_batch, all.size()); ++i) {
            if (period_of(all[i].provider).count() != 0 && !armed_.contains(name(all[i]))) batch.push_back(all[i]);
        }
        if (batch.empty()) continue;
        // One store block per batch; requests run between them.
        auto records = co_await read_batch(batch);
        if (!*alive || stopped_) co_return;
        if (!take_batch(batch, records)) break;
        if (at + k_scan_batch < all.size()) {
            co_await asio::post(io_, asio::use_awaitable);  // a local store's blocks run inline: yield
            if (!*alive || stopped_) co_return;
        }
    }
    scanning_ = false;
    if (!stopped_) arm_scan(scan_every_);
}

asio::awaitable<std::vector<KeepAlive::Read>> KeepAlive::read_batch(const std::vector<store::CredentialKey>& batch) {
    co_return co_await runner_.run([&](store::Store& s) {
        std::vector<Read> out;
        for (const auto& key : batch) {
            out.push_back(s.get(key));
            // A store that does not answer (etcd) would not answer the next read either.
            if (!out.back() && out.back().error().code == Errc::provider_unavailable) break;
        }
        return out;
    });
}

bool KeepAlive::take_batch(const std::vector<store::CredentialKey>& batch, std::vector<Read>& records) {
    for (std::size_t i = 0; i < records.size(); ++i) {
        const auto& key = batch[i];
        auto& record = records[i];
        if (!record && record.error().code == Errc::provider_unavailable) {
            log::warning("keep-alive: cannot read " + resource(key) + ", scan ended: " + record.error().message);
            return false;
        }
        if (!record) {
            log::warning("keep-alive: cannot read " + resource(key) + ", skipped: " + record.error().message);
        } else if (*record && !armed_.contains(name(key))) {  // armed by a refresh during the read: keep that
            consider(key, **record, period_of(key.provider));
        }
    }
    return true;
}

void KeepAlive::consider(const store::CredentialKey& key, const store::CredentialRecord& record,
                         std::chrono::seconds period) {
    // login_required waits for a login; a pending mark is a refresh under
    // way (here or on another host) or the token path's to resolve.
    if (record.state != store::CredentialState::valid) return;
    const std::int64_t now_ms = clock_.now_epoch_seconds() * 1000;
    const auto due = keep_alive_due_ms(record.refreshed_at, period, now_ms, draw_());
    if (!due) return;
    const milliseconds delay{std::max<std::int64_t>(*due - now_ms, 0)};
    armed_[name(key)] =
        Armed{record.refreshed_at, clock_.alarm(clock_.steady_now() + delay, [this, key] { fire(key); })};
}

void KeepAlive::fire(const store::CredentialKey& key) {
    const auto it = armed_.find(name(key));
    if (it == armed_.end() || stopped_) return;
    it->second.alarm.reset();  // in flight: the scans leave it alone
    ++started_;
    asio::co_spawn(io_, refresh(key, it->second.seen_refreshed_at), [](const std::exception_ptr& e) {
        if (e) log::error("keep-alive: a refresh ended with an exception");
    });
}

asio::awaitable<void> KeepAlive::refresh(store::CredentialKey key, std::int64_t seen) {
    const auto alive = alive_;
    auto done = co_await tokens_.keep_alive(key, seen);
    if (!*alive) co_return;
    armed_.erase(name(key));
    if (!done) {
        log::warning("keep-alive: the refresh of " + resource(key) + " failed: " + done.error().message);
    } else if (*done) {
        log::debug("keep-alive: refreshed " + resource(key));
    }
}

}  // namespace credctl::tokens
