// The caller the audit log tests record: a batch job's process, every field
// of its identity set. A plain value.
#pragma once

#include "daemon/peer/peer.hpp"

namespace credctl::test {

inline peer::PeerIdentity batch() {
    peer::PeerIdentity p;
    p.pid = 4242;
    p.uid = 1001;
    p.gid = 1001;
    p.user = "batch";
    p.exe = "/opt/jobs/bin/sync";
    return p;
}

}  // namespace credctl::test
