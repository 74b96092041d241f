// WatchCursor: where EtcdWatch stands in the cluster's history, from the
// messages of its stream (docs/fleet.md "Cache coherence"). It is what the
// next watch resumes after, whether the watch follows (has reported every
// change up to the revision at which it was set up), and whether a session
// moved forward at all (the watch's back-off).
//
// A watch that resumes behind (its credd paused, or cut off while other hosts
// wrote) first gets a backlog: up to 1000 revisions in one message, which
// etcd splits into fragments (the create request asks it to) between two
// events, so one revision (a record and its lock) may be split across two of
// them. The resume revision moves only on a message not flagged `fragment`:
// a session that ends inside a split message resumes before it, and its
// events are reported again (reporting a change twice is harmless; missing
// one is not).
//
// Used by etcd_watch.cpp (one per EtcdWatch, on its thread) and the unit
// tests. Thread-safety: none; one thread at a time.
#pragma once

#include "daemon/etcd/etcd_codec.hpp"

#include <cstdint>
#include <optional>

namespace credctl::etcd {

class WatchCursor {
public:
    // What one message asks of the watch, besides reporting its events.
    struct Step {
        // Report that changes up to this revision were not reported (before
        // the message's events): the first watch, or one after a compaction.
        std::optional<std::int64_t> resync;
        bool end = false;  // the cluster ended the watch: end the session
    };

    // The start_revision of the next watch: the one after the last revision
    // reported whole, or 0 (from now) when there is none.
    [[nodiscard]] std::int64_t start_revision() const { return revision_ == 0 ? 0 : revision_ + 1; }
    // A new session on a member: not set up, not following, no progress yet.
    void begin();
    // One message of the session, in the order the member sent them.
    [[nodiscard]] Step apply(const WatchResult& message);
    // The session's watch is set up and has reported every change up to the
    // revision at which it was set up.
    [[nodiscard]] bool following() const { return following_; }
    // Since begin(), the resume revision moved forward or the watch followed.
    [[nodiscard]] bool progressed() const { return progressed_; }
    // Since begin(), the member answered that the watch is set up.
    [[nodiscard]] bool created() const { return created_at_ > 0; }

private:
    std::int64_t revision_ = 0;    // every change up to it reported (0: none; a compaction resets it)
    std::int64_t created_at_ = 0;  // this session's: the store's revision when its watch was set up
    std::int64_t reported_ = 0;    // the highest revision of an event reported, a fragment's included
    bool following_ = false;
    bool progressed_ = false;
};

}  // namespace credctl::etcd
