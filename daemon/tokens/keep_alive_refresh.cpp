// TokenService::keep_alive(): a refresh asked for by the keep-alive
// scheduler (keep_alive.hpp) instead of a caller, through the same single
// flight, fleet lock and rotation-safe commit as token() (token_service.hpp).
#include "daemon/tokens/token_service_impl.hpp"

#include <limits>
#include <variant>

namespace credctl::tokens {

boost::asio::awaitable<Result<bool>> TokenService::keep_alive(const store::CredentialKey& key,
                                                              std::int64_t seen_refreshed_at) {
    auto& im = *impl_;
    const auto ck = credential_key(key);
    // A refresh in flight keeps the credential alive already.
    if (im.flights.contains(ck) || im.removing.contains(ck)) co_return false;
    auto rec = co_await im.runner.run([&](store::Store& s) { return s.get(key); });
    if (!rec) co_return rec.error();
    if (!*rec || (*rec)->state != store::CredentialState::valid || (*rec)->refreshed_at > seen_refreshed_at) {
        co_return false;
    }
    // A wish beyond any expiry makes start_refresh() fly even though the
    // stored access token is still good. It reads the record again and
    // gives nothing when a flight started since the read above. On a shared
    // store, the flight re-reads the record under the fleet lock and does
    // nothing when another host refreshed it meanwhile (fleet_refresh.cpp).
    // Unpaced: its own schedule paces it (keep_alive.hpp).
    auto started = co_await im.start_refresh(key, "", {}, std::numeric_limits<std::int64_t>::max(), std::nullopt);
    if (!started) co_return started.error();
    if (!*started || std::holds_alternative<CachedToken>(**started)) co_return false;
    const auto flight = std::get<std::shared_ptr<Flight>>(**started);
    co_await wait_for(flight, im.clock, Clock::SteadyTime::max());
    if (!flight->result()) co_return flight->result().error();
    co_return true;
}

}  // namespace credctl::tokens
