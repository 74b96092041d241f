// The JSON answers credctl decodes from credd (docs/api.md): a daemon that
// is not ours, or a broken one, must not crash credctl or make it print
// something it cannot read back. The first byte picks the decoder; each
// accepted answer must round-trip through its encoder. The token answer is
// built by hand (append_json_string): whatever the bytes, it must be JSON a
// strict reader takes, reading back as the input with U+FFFD for each byte
// of no valid UTF-8 sequence; text that was valid UTF-8 without DEL or a C1
// control is written as Boost.JSON writes it.
#include "common/error/error.hpp"
#include "common/text/utf8.hpp"
#include "common/wire/admin_wire.hpp"
#include "common/wire/policy_wire.hpp"
#include "common/wire/wire.hpp"
#include "fuzz_check.hpp"

#include <sodium.h>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/string.hpp>

using namespace credctl;

extern "C" int LLVMFuzzerInitialize(int*, char***) {
    return sodium_init() < 0 ? 1 : 0;
}

namespace {

void problem(std::string_view in) {
    const Error e = wire::parse_problem(400, in);
    // Whatever the body, the error is one of the list and survives the trip.
    const Error again = wire::parse_problem(400, wire::to_json(wire::Problem{e.code, e.message}));
    fuzz::check(again.code == e.code && again.message == e.message, "problem document round-trips");
}

// Whether `in` is valid UTF-8 (Boost.JSON's parser checks it) holding no
// DEL and no C1 control (in valid UTF-8, 0xc2 only ever starts a sequence).
bool plain_text(std::string_view in, const std::string& serialized) {
    boost::system::error_code ec;
    (void)boost::json::parse(serialized, ec);
    if (ec || in.find('\x7f') != std::string_view::npos) return false;
    for (std::size_t i = in.find('\xc2'); i != std::string_view::npos; i = in.find('\xc2', i + 1)) {
        if (i + 1 < in.size() && static_cast<unsigned char>(in[i + 1]) <= 0x9f) return false;
    }
    return true;
}

void escaping(std::string_view in) {
    std::string mine;
    wire::append_json_string(mine, in);
    boost::system::error_code ec;
    const auto v = boost::json::parse(mine, ec);
    fuzz::check(!ec && v.is_string(), "append_json_string writes a JSON string of valid UTF-8", mine);
    fuzz::check(v.as_string() == text::valid_utf8(in), "append_json_string's text reads back, U+FFFD for bad bytes");
    const std::string theirs = boost::json::serialize(boost::json::string(in));
    if (plain_text(in, theirs)) {
        fuzz::check(mine == theirs, "append_json_string escapes text as Boost.JSON");
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    auto in = fuzz::bytes(data, size);
    unsigned selector = 0;
    if (!fuzz::take_selector(in, selector)) return 0;
    const auto emit = [](const auto& v) { return wire::to_json(v); };
    switch (selector % 11) {
        case 0:
            fuzz::round_trips(in, wire::parse_access_token, emit, "token answer round-trips");
            break;
        case 1:
            fuzz::round_trips(in, wire::parse_credential_list, emit, "credential list round-trips");
            break;
        case 2:
            fuzz::round_trips(in, wire::parse_status, emit, "status round-trips");
            break;
        case 3:
            fuzz::round_trips(in, wire::parse_providers, emit, "providers round-trip");
            break;
        case 4:
            fuzz::round_trips(in, wire::parse_removal, emit, "removal round-trips");
            break;
        case 5:
            fuzz::round_trips(in, wire::parse_whoami, emit, "whoami round-trips");
            break;
        case 6:
            fuzz::round_trips(in, wire::parse_policy_decision, emit, "policy decision round-trips");
            break;
        case 7:
            fuzz::round_trips(in, wire::parse_store_status, emit, "store status round-trips");
            break;
        case 8:
            fuzz::round_trips(in, wire::parse_check_result, emit, "check result round-trips");
            break;
        case 9:
            problem(in);
            break;
        default:
            escaping(in);
            break;
    }
    return 0;
}
