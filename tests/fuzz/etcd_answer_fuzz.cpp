// The answers credd reads from etcd's JSON gateway (daemon/etcd/etcd_codec):
// a member that is broken, or not etcd at all, must not crash credd or slip
// it a key or value it did not send. The first byte picks the parser; the
// watch's stream messages are parsed too.
#include "daemon/etcd/etcd_codec.hpp"
#include "fuzz_check.hpp"

#include <sodium.h>

#include <algorithm>
#include <string>

using namespace credctl;

extern "C" int LLVMFuzzerInitialize(int*, char***) {
    return sodium_init() < 0 ? 1 : 0;
}

namespace {

// Keys and values come back exactly as base64 carried them: encoding them
// again and decoding gives the same bytes.
void kvs_round_trip(const etcd::RangeAnswer& r) {
    for (const auto& kv : r.kvs) {
        fuzz::check(etcd::base64_decode(etcd::base64_encode(kv.key)) == kv.key, "a key round-trips base64");
        fuzz::check(etcd::base64_decode(etcd::base64_encode(kv.value)) == kv.value, "a value round-trips base64");
    }
}

// A watch message: each event names a key, and the highest revision is
// that of the events.
void watch(std::string_view in) {
    auto r = etcd::parse_watch_result(in);
    if (!r) return;
    std::int64_t highest = 0;
    for (const auto& e : r->events) {
        fuzz::check(!e.key.empty(), "a watch event names a key");
        highest = std::max(highest, e.mod_revision);
    }
    fuzz::check(r->last_event_revision == highest, "the last event revision is the events' highest");
}

void base64(std::string_view in) {
    auto decoded = etcd::base64_decode(in);
    if (decoded) fuzz::check(etcd::base64_encode(*decoded) == in, "accepted base64 is canonical");
    fuzz::check(etcd::base64_decode(etcd::base64_encode(in)) == std::string(in), "any bytes round-trip base64");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    auto in = fuzz::bytes(data, size);
    unsigned selector = 0;
    if (!fuzz::take_selector(in, selector)) return 0;
    switch (selector % 7) {
        case 0:
            if (auto r = etcd::parse_range(in)) kvs_round_trip(*r);
            break;
        case 1:
            if (auto t = etcd::parse_txn(in)) {
                kvs_round_trip(t->current);
                fuzz::check(!t->succeeded || t->current.kvs.empty(), "a succeeded txn carries no current key");
            }
            break;
        case 2:
            if (auto id = etcd::parse_lease_grant(in)) fuzz::check(*id != 0, "a granted lease has an id");
            break;
        case 3:
            (void)etcd::parse_keepalive(in);
            (void)etcd::parse_deleted(in);
            break;
        case 4:
            (void)etcd::error_message(in);
            break;
        case 6:
            watch(in);
            break;
        default:
            base64(in);
            break;
    }
    return 0;
}
