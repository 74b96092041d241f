// EtcdWatch: every change below a key prefix, as it happens (docs/fleet.md
// "Cache coherence"). A thread of its own keeps one watch open on one member
// at a time (POST /v3/watch on the JSON gateway: a chunked answer that does
// not end, one JSON message a line, etcd_codec.hpp), moving on to the next
// member when the stream breaks, and calls `changed` with each key that was
// put or deleted and the revision of that change. A watch set up again after
// a break resumes after the last revision reported, so a member lost costs no
// change. `resync` is called when nothing can be resumed (the first watch, or
// the cluster compacted its history past that revision) with the store's
// revision when the new watch was set up: changes up to it were not
// reported, so whatever the caller derived from the store before it must be
// forgotten; every change after it is reported. following() says whether a
// watch is set up now and has reported every change up to the revision at
// which it was set up: between two members (a stream broken, the next one
// not yet set up), changes reach nobody until the next watch resumes, and a
// watch that resumes behind follows only once its backlog is reported.
//
// A backlog comes in messages of up to 1000 revisions, which etcd splits
// into fragments (etcd_watch_cursor.hpp); a message may be up to 64 MiB. A
// session that ends without moving forward (not set up, or ended before a
// whole message) is followed by a pause that doubles, as when no member
// answers.
//
// A member that goes away is noticed at once when its connection is reset
// or refused, and by TCP keep-alive (about 25 s) when it is cut off.
// Connecting, the TLS handshake and sending the request each have the
// client's request_timeout.
//
// Thread-safety: start() and the destructor from one thread; the callbacks
// run on the watch's thread and must be safe there.
#pragma once

#include "common/error/error.hpp"
#include "daemon/etcd/etcd_client.hpp"

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

namespace credctl::etcd {

class EtcdWatch {
public:
    using Changed = std::function<void(const std::string& key, std::int64_t mod_revision)>;
    using Resync = std::function<void(std::int64_t revision)>;

    // Checks the endpoints and TLS files as EtcdClient::create() does, then
    // starts the thread; it contacts the cluster from there.
    [[nodiscard]] static Result<std::unique_ptr<EtcdWatch>> start(const ClientOptions& options, std::string prefix,
                                                                  Changed changed, Resync resync);
    // Ends the watch and joins its thread.
    ~EtcdWatch();
    // A watch is set up on a member and reports changes (from any thread).
    [[nodiscard]] bool following() const;
    EtcdWatch(const EtcdWatch&) = delete;
    EtcdWatch& operator=(const EtcdWatch&) = delete;

    struct Impl;

private:
    explicit EtcdWatch(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
};

}  // namespace credctl::etcd
