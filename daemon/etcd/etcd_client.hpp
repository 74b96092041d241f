// EtcdClient: a small synchronous client of etcd's v3 JSON gateway
// (docs/fleet.md "Talking to etcd"), used by EtcdStore and the refresh lock.
//
// Each call is one POST, on a connection to the member kept from the last
// call when there is one, tried on every endpoint in turn starting with the
// last one that answered; a member that refuses, times out or answers 5xx
// (no leader, a leader change, a timed-out proposal) is skipped, and the
// members are asked again, round after round with a short pause, until one
// answers: a call rides out a leader election. The whole call, every
// endpoint and round included, ends by `request_timeout`: a call never
// blocks its thread longer than that (docs/fleet.md "Blocking"). https verifies the
// member's certificate against `ca_file` (the system store when empty) and
// presents `cert_file`/`key_file` when given (mTLS); plain http is refused
// unless the endpoint is on loopback, as for providers.
//
// A write that timed out may still have been applied by the cluster; the
// compare-and-put calls make that safe to find out by reading again.
//
// Thread-safety: one thread at a time per client (credd's I/O thread).
#pragma once

#include "common/error/error.hpp"
#include "daemon/etcd/etcd_codec.hpp"

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace credctl::etcd {

struct ClientOptions {
    std::vector<std::string> endpoints;  // "https://10.0.0.1:2379"
    std::chrono::milliseconds request_timeout{5000};
    std::string ca_file;
    std::string cert_file;
    std::string key_file;
};

class EtcdClient {
public:
    // Checks the endpoints (absolute http(s) URLs; http only on loopback)
    // and loads the TLS files; contacts nobody. Errors: bad_request naming
    // the endpoint or the file.
    [[nodiscard]] static Result<std::unique_ptr<EtcdClient>> create(ClientOptions options);
    ~EtcdClient();
    EtcdClient(const EtcdClient&) = delete;
    EtcdClient& operator=(const EtcdClient&) = delete;

    // Every error below is provider_unavailable ("etcd: ...", naming the
    // endpoints tried) when no member answered in time, internal for an
    // answer that does not parse or an error the cluster returned.
    [[nodiscard]] Result<std::optional<KeyValue>> get(const std::string& key);
    // As get(), with the store's revision when the member answered.
    [[nodiscard]] Result<RangeAnswer> range(const std::string& key);
    [[nodiscard]] Result<RangeAnswer> list(const std::string& prefix, bool keys_only);
    // How many keys are below `prefix`, asked of etcd as a number (count
    // only): no key crosses the network, however many there are.
    [[nodiscard]] Result<std::int64_t> count(const std::string& prefix);
    // Compare-and-put: see put_if_request(). succeeded false when the key
    // had changed; the answer then holds the key as it is now.
    [[nodiscard]] Result<TxnAnswer> put_if(const std::string& key, const std::string& value,
                                           std::int64_t expected_mod_revision, std::int64_t lease = 0);
    // Any transaction (POST /v3/kv/txn) whose body the caller built
    // (daemon/store/etcd_txn.hpp): compares, then the success or failure
    // operations, in one Raft write.
    [[nodiscard]] Result<TxnAnswer> txn(const std::string& request);
    // Every write, only if every compare holds (etcd_codec.hpp txn_request()):
    // the answer's succeeded says which.
    [[nodiscard]] Result<TxnAnswer> txn(const std::vector<TxnCompare>& compares, const std::vector<TxnWrite>& writes);
    [[nodiscard]] Result<bool> erase(const std::string& key);
    // Deletes `key` only at that mod_revision; true when it did.
    [[nodiscard]] Result<bool> erase_if(const std::string& key, std::int64_t expected_mod_revision);
    [[nodiscard]] Result<std::int64_t> lease_grant(std::int64_t ttl_seconds);
    // The TTL left; 0 when the lease has expired.
    [[nodiscard]] Result<std::int64_t> lease_keepalive(std::int64_t lease);
    [[nodiscard]] Result<void> lease_revoke(std::int64_t lease);

    // The configured endpoints, and the one that last answered ("" before
    // any answer).
    [[nodiscard]] const std::vector<std::string>& endpoints() const;
    [[nodiscard]] std::string last_answered() const;
    // How many calls this client has made (each method above is one, however
    // many members it asked): what a refresh costs in round trips.
    [[nodiscard]] std::uint64_t calls() const;
    // How many connections it has opened: one per member while the members
    // keep them open (HTTP keep-alive), a new one after a member closed or
    // failed one.
    [[nodiscard]] std::uint64_t connections() const;

    struct Impl;
    struct Session;

private:
    explicit EtcdClient(std::unique_ptr<Impl> impl);
    [[nodiscard]] Result<std::string> post(const char* path, const std::string& body);
    std::unique_ptr<Impl> impl_;
};

}  // namespace credctl::etcd
