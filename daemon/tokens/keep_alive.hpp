// KeepAlive: refreshes credentials that nobody has used for a while, so that
// a provider whose refresh tokens idle out (a rotated token that expires
// when it is not used for N days) does not log the user out behind their
// back (per provider `keep_alive_days`, credctl.toml(5), docs/design.md
// "Keep-alive").
//
// Every few minutes (a tenth of the period, between 1 s and 10 min) it
// reads the keys and records of the providers that have a period, never a
// refresh token, in batches of store calls (one store::StoreRunner block
// each, the TokenService's runner) that let requests run between them. A credential last refreshed at R (its login, or
// its last successful refresh, store::CredentialRecord::refreshed_at) is refreshed at a random time in the last tenth
// of its period (at most its last hour): [R + period - window, R + period]; one found already late (after a restart) at
// a random time within a window from now. So a thousand credentials logged in at once do not refresh at once.
//
// The refresh itself is TokenService::keep_alive(): the single flight of a
// token request, its rotation safety and, on a shared store, its fleet lock.
// It does nothing for a credential refreshed since it was scheduled (by a
// caller, or by another host of the fleet), in login_required, in the middle
// of a refresh, or being removed.
//
// Thread-safety: the I/O thread. start() once; stop() before the io_context
// stops running (it disarms the alarms; refreshes in flight end on their own).
#pragma once

#include "common/config/provider.hpp"
#include "daemon/store/store.hpp"
#include "daemon/tokens/clock.hpp"

#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace boost::asio {
class io_context;
}

namespace credctl::store {
class StoreRunner;
}

namespace credctl::tokens {

class TokenService;

// How a period is spread: the jitter window before its end, and how often
// the store is read.
struct KeepAliveTiming {
    std::chrono::milliseconds window;
    std::chrono::milliseconds scan_every;
};
[[nodiscard]] KeepAliveTiming keep_alive_timing(std::chrono::seconds period);

// When (epoch milliseconds) to refresh a credential last refreshed at
// `refreshed_at` (epoch seconds), seen at `now_ms`; std::nullopt when that
// time is after the next scan. `draw` is uniform in [0, 1).
[[nodiscard]] std::optional<std::int64_t> keep_alive_due_ms(std::int64_t refreshed_at, std::chrono::seconds period,
                                                            std::int64_t now_ms, double draw);

class KeepAlive {
public:
    // Uniform in [0, 1); production draws from libsodium.
    using Draw = std::function<double()>;

    // Production: the system clocks and libsodium's random draws. Borrows
    // `io` and `tokens` (and reads the store through tokens.runner()); they
    // must outlive it.
    KeepAlive(boost::asio::io_context& io, TokenService& tokens, const std::vector<ProviderConfig>& providers);
    // The same with a given runner of the store to scan and clock (both
    // borrowed) and draw (tests).
    KeepAlive(boost::asio::io_context& io, TokenService& tokens, store::StoreRunner& runner, Clock& clock,
              const std::vector<ProviderConfig>& providers, Draw draw);
    ~KeepAlive();
    KeepAlive(const KeepAlive&) = delete;
    KeepAlive& operator=(const KeepAlive&) = delete;

    // Scans now and then every scan period; nothing when no provider has a
    // keep_alive period.
    void start();
    void stop();

    // Credentials with a refresh armed (for tests and status).
    [[nodiscard]] std::size_t scheduled() const { return armed_.size(); }
    // Keep-alive refreshes started since start().
    [[nodiscard]] std::uint64_t started() const { return started_; }

private:
    struct Armed {
        std::int64_t seen_refreshed_at;
        std::unique_ptr<Alarm> alarm;
    };
    using Read = Result<std::optional<store::CredentialRecord>>;
    boost::asio::awaitable<void> scan();
    // The records of `batch` in one store block, up to the first read that
    // found the store unreachable.
    boost::asio::awaitable<std::vector<Read>> read_batch(const std::vector<store::CredentialKey>& batch);
    // Schedules what `records` asks for; false when the store did not answer.
    bool take_batch(const std::vector<store::CredentialKey>& batch, std::vector<Read>& records);
    void consider(const store::CredentialKey& key, const store::CredentialRecord& record, std::chrono::seconds period);
    void fire(const store::CredentialKey& key);
    boost::asio::awaitable<void> refresh(store::CredentialKey key, std::int64_t seen);
    [[nodiscard]] std::chrono::seconds period_of(const std::string& provider) const;
    void arm_scan(std::chrono::milliseconds after);

    boost::asio::io_context& io_;
    TokenService& tokens_;
    store::StoreRunner& runner_;
    std::unique_ptr<Clock> owned_clock_;  // production only
    Clock& clock_;
    std::map<std::string, std::chrono::seconds> periods_;  // providers with keep-alive
    Draw draw_;
    std::chrono::milliseconds scan_every_{0};
    std::unique_ptr<Alarm> next_scan_;
    std::map<std::string, Armed> armed_;  // by "user NUL provider"
    std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
    bool stopped_ = false;
    bool scanning_ = false;
    std::uint64_t started_ = 0;
};

}  // namespace credctl::tokens
