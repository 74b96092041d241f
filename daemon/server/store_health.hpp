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
// Used by the status route (handlers.cpp). Thread-safety: I/O thread only.
#pragma once

#include "common/wire/wire.hpp"
#include "daemon/config/daemon_config.hpp"
#include "daemon/tokens/token_service.hpp"

#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <memory>
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

    // Sets s.store, store_backend, store_state, store_endpoints and
    // credentials (-1 when the store could not be counted).
    [[nodiscard]] boost::asio::awaitable<void> fill(wire::Status& s, tokens::TokenService& tokens);

private:
    std::string backend_;
    std::unique_ptr<etcd::EtcdProbe> probe_;  // etcd only
    std::chrono::milliseconds timeout_;
};

}  // namespace credctl::server
