// StoreHealth: what GET /v1/status says about the store (docs/api.md,
// docs/fleet.md "When etcd is unavailable"): the backend, whether it can be
// read, and for etcd every member and whether it answers.
//
// On etcd, a probe of every member at once (etcd/etcd_probe.hpp), bounded by
// [store.etcd] request_timeout_seconds and at most k_probe_timeout, awaited on
// the I/O thread without blocking it; the credentials are counted only when
// the probe found the store readable, so a status request costs no
// request_timeout of a blocking store call when the cluster has no quorum.
// On LMDB, the count alone says whether the store reads.
//
// Only an administrator's status (root, credd's user: `fresh`) always probes.
// Anyone else is answered from the last probe while it is under a second
// old or another probe is under way; when no probe has ended yet (right
// after credd starts) and one is under way, by waiting for that probe and
// taking its answer. Only with neither does it probe: the route is open to
// every local user, and each probe is a call to every etcd member, a quorum
// read and a count, which one user's flood would otherwise make for every
// request. The wait blocks nothing: it awaits a timer on the I/O thread that
// the probe's end expires. A probe that ends without an answer (an exception
// escaping it) still lets its waiters go: they answer store_state "failing",
// and the next status probes. At a stop, credd finishes the requests under
// way (the probe ends by its timeout); a probe's frame destroyed unfinished
// with the io_context touches only what it shares with its waiters.
//
// Used by the status route (handlers.cpp). Thread-safety: I/O thread only.
#pragma once

#include "common/wire/wire.hpp"
#include "daemon/config/daemon_config.hpp"
#include "daemon/tokens/token_service.hpp"

#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <memory>
#include <optional>
#include <string>

namespace credctl::etcd {
class EtcdProbe;
}

namespace credctl::server {

class StoreHealth {
public:
    // No etcd member is contacted here. An etcd configuration whose probe
    // cannot be made (it was checked when the store opened) leaves the
    // count alone to speak, with a warning in the log.
    explicit StoreHealth(const daemon::StoreSettings& settings);
    ~StoreHealth();
    StoreHealth(const StoreHealth&) = delete;
    StoreHealth& operator=(const StoreHealth&) = delete;

    static constexpr std::chrono::seconds k_shared_for{1};

    // Sets s.store, store_backend, store_state, store_endpoints and
    // credentials (-1 when the store could not be counted): probed now when
    // `fresh`, else as above. `now` is the time of the request.
    [[nodiscard]] boost::asio::awaitable<void> fill(wire::Status& s, tokens::TokenService& tokens, bool fresh,
                                                    std::chrono::steady_clock::time_point now);

private:
    struct Round;  // one probe under way and its waiters (store_health.cpp)
    [[nodiscard]] boost::asio::awaitable<void> probe_now(wire::Status& s, tokens::TokenService& tokens,
                                                         std::chrono::steady_clock::time_point now);
    [[nodiscard]] static boost::asio::awaitable<void> await_round(std::shared_ptr<Round> round, wire::Status& s);
    [[nodiscard]] boost::asio::awaitable<void> probe(wire::Status& s, tokens::TokenService& tokens);

    struct Snapshot {
        wire::Status status;  // the store's fields only
        std::chrono::steady_clock::time_point taken;
    };
    std::optional<Snapshot> last_;
    std::shared_ptr<Round> round_;  // the probe started last (its Round is `over` once it ended)
    std::string backend_;
    std::unique_ptr<etcd::EtcdProbe> probe_;  // etcd only
    std::chrono::milliseconds timeout_;
};

}  // namespace credctl::server
