// An HTTP request as credd's sessions read it from any local user
// (daemon/server/request_parse.hpp): head then body, under the limits of
// docs/api.md "Limits". The limits are never exceeded by what is accepted;
// what is refused is told as payload_too_large or bad_request, and a
// pipelined request that follows is read from where the first one ended.
//
// Input: the first byte picks the limits (the defaults, or the smallest
// the config accepts), the rest is the bytes on the socket.
#include "daemon/server/request_parse.hpp"
#include "fuzz_check.hpp"

using namespace credctl;

namespace {

daemon::Limits limits_for(unsigned selector) {
    daemon::Limits l;  // the defaults
    if (selector % 2 == 1) {
        l.max_head_bytes = 1024;  // the smallest limits.max_head_bytes (config_keys.cpp)
        l.max_body_bytes = 1024;  // the smallest limits.max_body_bytes
    }
    return l;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    auto in = fuzz::bytes(data, size);
    unsigned selector = 0;
    if (!fuzz::take_selector(in, selector)) return 0;
    const daemon::Limits limits = limits_for(selector);
    std::size_t offset = 0;
    // At most a few pipelined requests: each step must consume bytes.
    for (int i = 0; i < 4 && offset < in.size(); ++i) {
        const auto parsed = server::parse_request(in.substr(offset), limits);
        if (!parsed) {
            const Errc code = parsed.error().code;
            fuzz::check(code == Errc::payload_too_large || code == Errc::bad_request,
                        "a request that cannot be read is payload_too_large or bad_request");
            return 0;
        }
        if (!*parsed) return 0;  // a session would read on
        const auto& r = **parsed;
        fuzz::check(r.head_bytes <= limits.max_head_bytes, "the head is within max_head_bytes",
                    std::to_string(r.head_bytes) + " bytes of head, body " + std::to_string(r.request.body.size()));
        fuzz::check(r.request.body.size() <= limits.max_body_bytes, "the body is within max_body_bytes");
        fuzz::check(r.consumed > 0 && r.consumed <= in.size() - offset, "a request consumes what it was given");
        fuzz::check(r.head_bytes <= r.consumed, "the head is part of the request");
        fuzz::check(!r.request.method.empty() && !r.request.target.empty(), "a request has a method and a target");
        offset += r.consumed;
    }
    return 0;
}
