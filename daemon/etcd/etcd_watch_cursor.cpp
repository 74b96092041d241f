#include "daemon/etcd/etcd_watch_cursor.hpp"

#include <algorithm>

namespace credctl::etcd {

void WatchCursor::begin() {
    created_at_ = 0;
    reported_ = revision_;
    following_ = false;
    progressed_ = false;
}

WatchCursor::Step WatchCursor::apply(const WatchResult& message) {
    Step step;
    if (message.created) {
        created_at_ = std::max<std::int64_t>(message.revision, 1);
        if (revision_ == 0) {
            // A new watch from now: what changed before it was not reported.
            revision_ = reported_ = message.revision;
            step.resync = message.revision;
        }
    }
    reported_ = std::max(reported_, message.last_event_revision);
    if (!message.fragment) {
        // No event, neither set up nor ended: a progress notification, which
        // etcd sends only to a watch that has sent every change up to it.
        if (!message.created && !message.canceled && message.events.empty()) {
            reported_ = std::max(reported_, message.revision);
        }
        if (reported_ > revision_) {
            revision_ = reported_;
            progressed_ = true;
        }
    }
    if (created() && revision_ >= created_at_ && !following_) following_ = progressed_ = true;
    if (message.canceled) {
        // Compacted past where we were: start again from now.
        if (message.compact_revision > 0) revision_ = 0;
        following_ = false;
        step.end = true;
    }
    return step;
}

}  // namespace credctl::etcd
