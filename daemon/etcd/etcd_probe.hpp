// EtcdProbe: how an etcd cluster is doing, member by member, for `credctl
// status` (docs/fleet.md "When etcd is unavailable", docs/api.md
// GET /v1/status). Every member is asked at once, on the caller's executor:
// POST /v3/maintenance/status (answered by the member alone, even without
// quorum: its version and the leader it knows, none when quorum is lost),
// then, from a member that knows a leader, a linearizable read of one key
// (POST /v3/kv/range, count only), which succeeds only through a quorum. The
// whole probe ends by its timeout, however many members hang: it never holds
// the caller longer, and it blocks no thread (it awaits, it does not run an
// io_context of its own as EtcdClient does).
//
// Used by the status route (daemon/server/store_health.*). Thread-safety:
// probe() runs on a single-threaded executor (credd's I/O thread), possibly
// several times at once; the members' TLS context is read-only once made,
// and a member's exchange still running when its probe returned keeps what
// it uses alive.
#pragma once

#include "common/error/error.hpp"
#include "daemon/etcd/etcd_client.hpp"

#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace credctl::etcd {

struct MemberHealth {
    std::string url;
    bool answers = false;       // the member answered its status in time
    bool knows_leader = false;  // ... naming a leader: it is part of a quorum
    bool reads = false;         // a linearizable read through it succeeded
    // answers: "etcd VERSION, leader" / ", follower" / ", no leader";
    // otherwise why it did not answer ("connecting: Connection refused").
    std::string detail;
};

struct ClusterHealth {
    std::vector<MemberHealth> members;  // in the configured order
    bool readable = false;              // some member served a read
    std::string reason;                 // when not readable: why, naming every member
};

// What POST /v3/maintenance/status says of a member, and whether it knows a
// leader (proto3 leaves "leader" out when it is 0: none).
struct MemberStatus {
    std::string version;
    std::uint64_t member_id = 0;
    std::uint64_t leader = 0;
};
// Errors: internal naming what is malformed.
[[nodiscard]] Result<MemberStatus> parse_member_status(std::string_view body);
// "etcd 3.4.23, leader", "etcd 3.4.23, follower", "etcd 3.4.23, no leader".
[[nodiscard]] std::string describe(const MemberStatus& s);
// The verdict on the members' answers: readable when one read; otherwise a
// reason such as "etcd: no quorum: 1 of 3 members answer, none knows a
// leader (...)" or "etcd: no member answers (...)", each member and why.
[[nodiscard]] ClusterHealth summarize(std::vector<MemberHealth> members);

class EtcdProbe {
public:
    // Checks the endpoints and TLS files as EtcdClient::create() does;
    // contacts nobody. `read_key` is the key the read asks for (any key).
    [[nodiscard]] static Result<std::unique_ptr<EtcdProbe>> create(const ClientOptions& options, std::string read_key);
    ~EtcdProbe();
    EtcdProbe(const EtcdProbe&) = delete;
    EtcdProbe& operator=(const EtcdProbe&) = delete;

    // Every member at once; returns by `timeout` (a member still silent then
    // "timed out").
    [[nodiscard]] boost::asio::awaitable<ClusterHealth> probe(std::chrono::milliseconds timeout);

    struct Impl;

private:
    explicit EtcdProbe(std::shared_ptr<Impl> impl);
    std::shared_ptr<Impl> impl_;
};

}  // namespace credctl::etcd
