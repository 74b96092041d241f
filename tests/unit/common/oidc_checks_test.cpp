#include "common/oauth/oidc_checks.hpp"

#include "common/crypto/crypto.hpp"

#include <gtest/gtest.h>

#include <limits>

#include <string>

namespace credctl::oauth {
namespace {

using std::chrono::seconds;
using std::chrono::system_clock;

constexpr std::int64_t k_now = 1'800'000'000;
const system_clock::time_point now{seconds(k_now)};

std::string jwt(const std::string& payload_json) {
    return crypto::base64url_encode(R"({"alg":"RS256","typ":"JWT"})") + "." + crypto::base64url_encode(payload_json) +
           ".c2lnbmF0dXJl";
}

std::string claims(const std::string& iss, const std::string& aud, const std::string& nonce, std::int64_t exp) {
    return R"({"iss":")" + iss + R"(","sub":"alice","aud":)" + aud + R"(,"nonce":")" + nonce + R"(","exp":)" +
           std::to_string(exp) + "}";
}

TokenSet with_id_token(const std::string& payload_json) {
    TokenSet t;
    t.id_token = jwt(payload_json);
    return t;
}

Endpoints corp() {
    Endpoints e;
    e.issuer = "https://login.example";
    return e;
}

ProviderConfig client_c() {
    ProviderConfig p;
    p.name = "corp";
    p.client_id = "c";
    return p;
}

Error refusal(const std::string& payload_json, std::string_view nonce = "N1") {
    auto r = check_id_token(with_id_token(payload_json), corp(), client_c(), nonce, now);
    EXPECT_FALSE(r.has_value());
    return r ? Error{} : r.error();
}

TEST(CheckIdToken, AcceptsMatchingIssuerAudienceNonceAndExpiryGivingTheSubject) {
    auto r = check_id_token(with_id_token(claims("https://login.example", R"(["other","c"])", "N1", k_now + 300)),
                            corp(), client_c(), "N1", now);
    ASSERT_TRUE(r.has_value()) << r.error().message;
    EXPECT_EQ(*r, "alice");
}

TEST(CheckIdToken, ExpAtTheLargestIntegerIsNotExpired) {
    // exp + skew overflowed, so such a token read as long expired (and the
    // sanitizer build aborted).
    auto r = check_id_token(
        with_id_token(claims("https://login.example", R"("c")", "N1", std::numeric_limits<std::int64_t>::max())),
        corp(), client_c(), "N1", now);
    ASSERT_TRUE(r.has_value()) << r.error().message;
    EXPECT_EQ(*r, "alice");
}

TEST(CheckIdToken, RefusesAnotherIssuer) {
    const Error e = refusal(claims("https://evil.example", R"("c")", "N1", k_now + 300));
    EXPECT_EQ(e.code, Errc::provider_unavailable);
    EXPECT_EQ(e.message, "ID token issuer \"https://evil.example\" is not https://login.example");
}

TEST(CheckIdToken, RefusesAnAudienceWithoutTheClient) {
    const Error e = refusal(claims("https://login.example", R"(["other","c2"])", "N1", k_now + 300));
    EXPECT_EQ(e.code, Errc::provider_unavailable);
    EXPECT_EQ(e.message, "ID token is not addressed to client c");
}

TEST(CheckIdToken, RefusesANonceOfAnotherLogin) {
    const Error e = refusal(claims("https://login.example", R"("c")", "N2", k_now + 300));
    EXPECT_EQ(e.code, Errc::provider_unavailable);
    EXPECT_EQ(e.message, "ID token nonce does not match this login");
    // A prefix of the nonce is no match either.
    EXPECT_EQ(refusal(claims("https://login.example", R"("c")", "N", k_now + 300)).message,
              "ID token nonce does not match this login");
}

TEST(CheckIdToken, RefusesAnExpiredTokenBeyondTheClockSkew) {
    const auto exp = k_now - k_id_token_clock_skew.count() - 1;
    const Error e = refusal(claims("https://login.example", R"("c")", "N1", exp));
    EXPECT_EQ(e.code, Errc::provider_unavailable);
    EXPECT_EQ(e.message, "ID token expired at " + std::to_string(exp) + " (now " + std::to_string(k_now) + ")");
}

TEST(CheckIdToken, AcceptsATokenExpiredWithinTheClockSkew) {
    const auto exp = k_now - k_id_token_clock_skew.count();
    auto r = check_id_token(with_id_token(claims("https://login.example", R"("c")", "N1", exp)), corp(), client_c(),
                            "N1", now);
    EXPECT_TRUE(r.has_value()) << r.error().message;
}

TEST(CheckIdToken, RefusesATokenWithoutANumericExp) {
    EXPECT_EQ(refusal(R"({"iss":"https://login.example","sub":"alice","aud":"c","nonce":"N1"})").message,
              "ID token has no valid exp claim");
    EXPECT_EQ(refusal(R"({"iss":"https://login.example","sub":"alice","aud":"c","nonce":"N1","exp":"soon"})").message,
              "ID token has no valid exp claim");
}

TEST(CheckIdToken, RefusesAMissingOrUndecodableIdToken) {
    auto none = check_id_token(TokenSet{}, corp(), client_c(), "N1", now);
    ASSERT_FALSE(none.has_value());
    EXPECT_EQ(none.error().message, "provider returned no ID token for scope openid");
    TokenSet garbage;
    garbage.id_token = "not-a-jwt";
    auto bad = check_id_token(garbage, corp(), client_c(), "N1", now);
    ASSERT_FALSE(bad.has_value());
    EXPECT_EQ(bad.error().message, "ID token is not a JWT");
}

TEST(CheckIdToken, NoNonceSentMeansNoneIsCompared) {
    auto r = check_id_token(with_id_token(claims("https://login.example", R"("c")", "whatever", k_now + 60)), corp(),
                            client_c(), "", now);
    EXPECT_TRUE(r.has_value()) << r.error().message;
}

TEST(CheckResponseIssuer, RefusesAMissingIssWhereTheProviderAdvertisesIt) {
    Endpoints e = corp();
    e.iss_parameter_supported = true;
    auto r = check_response_issuer(e, "");
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error().code, Errc::login_required);
    EXPECT_EQ(r.error().message, "authorization response names issuer \"\", expected https://login.example");
}

TEST(CheckResponseIssuer, RefusesAnotherIssuerEvenWhereNotAdvertised) {
    for (const bool advertised : {true, false}) {
        Endpoints e = corp();
        e.iss_parameter_supported = advertised;
        auto r = check_response_issuer(e, "https://evil.example");
        ASSERT_FALSE(r.has_value()) << advertised;
        EXPECT_EQ(r.error().code, Errc::login_required);
        EXPECT_EQ(r.error().message,
                  "authorization response names issuer \"https://evil.example\", expected https://login.example");
    }
}

TEST(CheckResponseIssuer, AcceptsTheIssuerOrItsAbsenceWhereNotAdvertised) {
    Endpoints e = corp();
    e.iss_parameter_supported = true;
    EXPECT_TRUE(check_response_issuer(e, "https://login.example").has_value());
    e.iss_parameter_supported = false;
    EXPECT_TRUE(check_response_issuer(e, "").has_value());
    EXPECT_TRUE(check_response_issuer(Endpoints{}, "https://anything.example").has_value());
}

}  // namespace
}  // namespace credctl::oauth
