// An ID token as the login checks it (common/oauth/oidc_checks): the JWT's
// three parts, its base64url payload and the claims' JSON. A token the
// checks accept names our issuer, our client, our nonce and an `exp` not
// further in the past than the allowed skew.
//
// Input: the first byte picks the shape. Even: the rest is the whole token
// text. Odd: the rest is the payload's JSON, wrapped as a JWT, so that the
// fuzzer works on the claims rather than on base64url.
#include "common/crypto/crypto.hpp"
#include "common/oauth/oidc_checks.hpp"
#include "fuzz_check.hpp"

#include <sodium.h>

#include <algorithm>

using namespace credctl;

extern "C" int LLVMFuzzerInitialize(int*, char***) {
    return sodium_init() < 0 ? 1 : 0;
}

namespace {

constexpr std::int64_t k_now = 1'800'000'000;  // a fixed "now": the check is deterministic
constexpr std::string_view k_issuer = "https://issuer.example";
constexpr std::string_view k_nonce = "n-0S6_WzA2Mj";

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    auto in = fuzz::bytes(data, size);
    unsigned selector = 0;
    if (!fuzz::take_selector(in, selector)) return 0;
    oauth::TokenSet tokens;
    tokens.id_token =
        selector % 2 == 0 ? std::string(in) : "eyJhbGciOiJSUzI1NiJ9." + crypto::base64url_encode(in) + ".c2ln";
    const auto claims = oauth::parse_id_token_claims(tokens.id_token);
    if (!claims) fuzz::check(claims.error().code == Errc::provider_unavailable, "bad tokens are provider errors");

    oauth::Endpoints endpoints;
    endpoints.issuer = std::string(k_issuer);
    ProviderConfig provider;
    provider.client_id = "credctl";
    const auto now = std::chrono::system_clock::time_point(std::chrono::seconds(k_now));
    const auto subject = oauth::check_id_token(tokens, endpoints, provider, k_nonce, now);
    if (!subject) {
        fuzz::check(subject.error().code == Errc::provider_unavailable, "refused ID tokens are provider errors");
        return 0;
    }
    fuzz::check(claims.has_value(), "an accepted ID token decodes");
    fuzz::check(claims->issuer == k_issuer, "an accepted ID token names our issuer");
    fuzz::check(std::find(claims->audience.begin(), claims->audience.end(), "credctl") != claims->audience.end(),
                "an accepted ID token is addressed to our client");
    fuzz::check(claims->nonce == k_nonce, "an accepted ID token carries our nonce");
    fuzz::check(claims->expires_at && *claims->expires_at >= k_now - oauth::k_id_token_clock_skew.count(),
                "an accepted ID token has not expired");
    fuzz::check(*subject == claims->subject, "the subject returned is the token's");
    return 0;
}
