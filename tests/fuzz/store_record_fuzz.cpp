// What the store reads back from disk (daemon/store): the plaintext record
// codec after a successful open, the record key format, and the sealed value
// layout before opening. A decoded record encodes to exactly the bytes it
// came from (an older layout once rewritten in the current one); a record key made of two valid names splits back into
// them; bytes that were not sealed under the key never open.
//
// Input: the first byte picks the part. 0: a record plaintext. 1: a
// record key. 2: two names split at the first NUL, joined as a key. 3: a
// sealed value.
#include "common/wire/wire.hpp"
#include "daemon/store/record_codec.hpp"
#include "daemon/store/record_key.hpp"
#include "daemon/store/sealer.hpp"
#include "fuzz_check.hpp"

#include <sodium.h>

using namespace credctl;

extern "C" int LLVMFuzzerInitialize(int*, char***) {
    return sodium_init() < 0 ? 1 : 0;
}

namespace {

void record(std::string_view in) {
    const SecretBytes plain(in.data(), in.size());
    const auto decoded = store::decode_record(plain);
    if (!decoded) {
        fuzz::check(decoded.error().code == Errc::internal, "a malformed record is an internal error");
        return;
    }
    // A record in the current layout encodes to exactly its bytes; one in an
    // older layout (without the fields added since) is rewritten in the
    // current one, longer, and from then on round-trips.
    const SecretBytes again = store::encode_record(decoded->record, decoded->sealed_refresh_token);
    fuzz::check(again.equals(plain) || again.size() > plain.size(),
                "a decoded record encodes to the same bytes, or an older layout to a longer current one");
    const auto redecoded = store::decode_record(again);
    fuzz::check(redecoded.has_value(), "a re-encoded record decodes");
    const SecretBytes third = store::encode_record(redecoded->record, redecoded->sealed_refresh_token);
    fuzz::check(third.equals(again), "a record in the current layout encodes to the same bytes");
}

void key(std::string_view in) {
    const auto k = store::split_record_key(in);
    fuzz::check(k.has_value() == (in.find('\0') != std::string_view::npos), "a key splits exactly at a NUL");
    if (k) fuzz::check(store::record_key(*k) == in, "a split key joins back into the same bytes");
}

void names(std::string_view in) {
    const auto nul = in.find('\0');
    if (nul == std::string_view::npos) return;
    const store::CredentialKey k{std::string(in.substr(0, nul)), std::string(in.substr(nul + 1))};
    if (!wire::valid_name(k.user) || !wire::valid_name(k.provider)) return;
    const auto back = store::split_record_key(store::record_key(k));
    fuzz::check(back && back->user == k.user && back->provider == k.provider, "two valid names round-trip");
}

void sealed(std::string_view in) {
    static const store::Sealer sealer(SecretBytes::zeroed(32), 1);
    const auto opened = sealer.open("credentials", std::string("alice\0github", 12), in);
    fuzz::check(!opened, "bytes not sealed under the key never open");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    auto in = fuzz::bytes(data, size);
    unsigned selector = 0;
    if (!fuzz::take_selector(in, selector)) return 0;
    switch (selector % 4) {
        case 0:
            record(in);
            break;
        case 1:
            key(in);
            break;
        case 2:
            names(in);
            break;
        default:
            sealed(in);
            break;
    }
    return 0;
}
