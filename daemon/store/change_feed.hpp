// ChangeFeed: which credentials other processes changed (docs/fleet.md
// "Cache coherence"), offered by a Store whose records several credds share
// (Store::change_feed(); EtcdStore, fed by an etcd watch). TokenService takes
// the changes before it looks in its cache and sets aside what it cached of
// each credential named (TokenCache::retire_prefix()), so a logout, a new
// login or a refresh on another host is seen by this one at its next
// request.
//
// Thread-safety: take() on the I/O thread; the feed is filled from another
// thread (the watch's), under the feed's own lock.
#pragma once

#include "daemon/store/store.hpp"

#include <functional>
#include <vector>

namespace credctl::store {

struct Changes {
    bool everything = false;          // forget every cached credential
    std::vector<CredentialKey> keys;  // forget these
};

class ChangeFeed {
public:
    virtual ~ChangeFeed() = default;
    // The changes since the last take(), and empties the feed. Cheap when
    // nothing changed (no lock taken).
    [[nodiscard]] virtual Changes take() = 0;
    // Calls `wake` from the feed's own thread each time changes are added
    // (a host waiting on another host's refresh: daemon/tokens/
    // fleet_refresh.cpp); `wake` must only hand the news over (post it to
    // its own thread). An empty function stops the calls: once this returns,
    // the previous `wake` is not running and is never called again. Nothing
    // for a feed that does not offer it.
    virtual void wake_on_change(std::function<void()> wake) { (void)wake; }
};

}  // namespace credctl::store
