// The JSON bodies credd reads from any local caller (docs/api.md "Bodies"):
// the login PUT, the policy check and the admin requests. The first byte
// picks the parser; each accepted body must round-trip through its encoder.
#include "common/wire/admin_wire.hpp"
#include "common/wire/policy_wire.hpp"
#include "common/wire/wire.hpp"
#include "fuzz_check.hpp"

#include <sodium.h>

using namespace credctl;

extern "C" int LLVMFuzzerInitialize(int*, char***) {
    return sodium_init() < 0 ? 1 : 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    auto in = fuzz::bytes(data, size);
    unsigned selector = 0;
    if (!fuzz::take_selector(in, selector)) return 0;
    const auto emit = [](const auto& v) { return wire::to_json(v); };
    switch (selector % 4) {
        case 0: {
            fuzz::round_trips(in, wire::parse_store_credential, emit, "login PUT body round-trips");
            // A credential is never stored without its refresh token.
            if (auto c = wire::parse_store_credential(in)) fuzz::check(!c->refresh_token.empty(), "refresh_token kept");
            break;
        }
        case 1:
            fuzz::round_trips(in, wire::parse_policy_check, emit, "policy check body round-trips");
            break;
        case 2:
            fuzz::round_trips(in, wire::parse_backup, emit, "backup body round-trips");
            break;
        default:
            fuzz::round_trips(in, wire::parse_key_file, emit, "master-key body round-trips");
            break;
    }
    return 0;
}
