#include "common/oauth/oauth_client.hpp"

#include "support/http_answers.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace credctl::oauth {
namespace {

// The answer is refused with exactly this code and message.
void expect_refused(const Result<TokenSet>& r, Errc code, const std::string& message) {
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error().code, code);
    EXPECT_EQ(r.error().message, message);
}

TEST(ParseTokenResponse, ValidBodyGivesEveryField) {
    auto r = parse_token_response(200,
                                  R"({"access_token":"AT-1","token_type":"Bearer","expires_in":3600,)"
                                  R"("refresh_token":"RT-1","scope":"openid email","id_token":"a.b.c"})",
                                  false);
    ASSERT_TRUE(r.has_value()) << r.error().message;
    EXPECT_EQ(r->access_token.reveal(), "AT-1");
    EXPECT_EQ(r->refresh_token.reveal(), "RT-1");
    EXPECT_EQ(r->token_type, "Bearer");
    EXPECT_EQ(r->expires_in, 3600);
    EXPECT_EQ(r->scope, "openid email");
    EXPECT_EQ(r->id_token, "a.b.c");
}

TEST(ParseTokenResponse, LowercaseBearerAndMissingOptionalFieldsAreAccepted) {
    auto r = parse_token_response(200, R"({"access_token":"AT","token_type":"bearer"})", true);
    ASSERT_TRUE(r.has_value()) << r.error().message;
    EXPECT_EQ(r->token_type, "Bearer");
    EXPECT_EQ(r->expires_in, 0);
    EXPECT_TRUE(r->refresh_token.empty());
}

TEST(ParseTokenResponse, AnAbsentScopeIsToldApartFromAnEmptyOne) {
    auto absent = parse_token_response(200, R"({"access_token":"AT","token_type":"Bearer"})", true);
    ASSERT_TRUE(absent.has_value()) << absent.error().message;
    EXPECT_FALSE(absent->scope.has_value());
    auto empty = parse_token_response(200, R"({"access_token":"AT","token_type":"Bearer","scope":""})", true);
    ASSERT_TRUE(empty.has_value()) << empty.error().message;
    ASSERT_TRUE(empty->scope.has_value());
    EXPECT_EQ(*empty->scope, "");
}

TEST(ParseTokenResponse, BodyThatIsNotJsonIsProviderUnavailable) {
    expect_refused(parse_token_response(200, "<html>oops</html>", false), Errc::provider_unavailable,
                   "token endpoint answered HTTP 200 with a body that is not JSON");
}

TEST(ParseTokenResponse, MissingAccessTokenIsRejected) {
    expect_refused(parse_token_response(200, R"({"token_type":"Bearer","expires_in":60})", false),
                   Errc::provider_unavailable, "token endpoint response has no access_token");
}

TEST(ParseTokenResponse, EmptyOrNonStringAccessTokenIsRejected) {
    EXPECT_FALSE(parse_token_response(200, R"({"access_token":""})", false).has_value());
    EXPECT_FALSE(parse_token_response(200, R"({"access_token":42})", false).has_value());
}

TEST(ParseTokenResponse, MacTokenTypeIsRejected) {
    auto r = parse_token_response(200, R"({"access_token":"AT","token_type":"mac"})", false);
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error().code, Errc::provider_unavailable);
    EXPECT_NE(r.error().message.find("unsupported token_type"), std::string::npos) << r.error().message;
    EXPECT_NE(r.error().message.find("\"mac\""), std::string::npos) << r.error().message;
}

TEST(ParseTokenResponse, NegativeExpiresInIsRejected) {
    expect_refused(parse_token_response(200, R"({"access_token":"AT","expires_in":-1})", false),
                   Errc::provider_unavailable, "token endpoint returned an invalid expires_in");
}

TEST(ParseTokenResponse, AbsurdExpiresInIsRejected) {
    expect_refused(parse_token_response(200, R"({"access_token":"AT","expires_in":99999999999})", false),
                   Errc::provider_unavailable, "token endpoint returned an invalid expires_in");
}

TEST(ParseTokenResponse, NonIntegerExpiresInIsRejected) {
    EXPECT_FALSE(parse_token_response(200, R"({"access_token":"AT","expires_in":"3600"})", false).has_value());
}

TEST(ParseTokenResponse, Http500IsProviderUnavailable) {
    expect_refused(parse_token_response(500, R"({"access_token":"AT"})", false), Errc::provider_unavailable,
                   "token endpoint answered HTTP 500");
}

TEST(ParseTokenResponse, InvalidGrantOnRefreshIsLoginRequired) {
    expect_refused(parse_token_response(400, R"({"error":"invalid_grant"})", true), Errc::login_required,
                   "token endpoint refused the refresh token: invalid_grant");
}

TEST(ParseTokenResponse, InvalidGrantOnCodeExchangeIsProviderUnavailable) {
    expect_refused(parse_token_response(400, R"({"error":"invalid_grant"})", false), Errc::provider_unavailable,
                   "token endpoint refused the request: invalid_grant");
}

TEST(ParseTokenResponse, OtherErrorOnRefreshIsProviderUnavailable) {
    auto r = parse_token_response(401, R"({"error":"invalid_client"})", true);
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error().code, Errc::provider_unavailable);
}

TEST(ParseTokenResponse, ErrorMessageNeverContainsTheTokens) {
    auto r = parse_token_response(200, R"({"access_token":"SECRET-AT-999","token_type":"mac"})", false);
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error().message.find("SECRET-AT-999"), std::string::npos);
}

TEST(ParseTokenResponse, InvalidTargetIsLoginRequiredNamingTheResource) {
    for (bool for_refresh : {false, true}) {
        expect_refused(
            parse_token_response(400, R"({"error":"invalid_target"})", for_refresh, "https://api.example"),
            Errc::login_required,
            "token endpoint refused resource \"https://api.example\" (invalid_target, RFC 8707): the provider "
            "does not know it, or this login was not granted for it");
    }
}

TEST(ParseTokenResponse, InvalidTargetWithoutResourceSaysOneIsWanted) {
    expect_refused(parse_token_response(400, R"({"error":"invalid_target"})", true), Errc::login_required,
                   "token endpoint refused the request: invalid_target (RFC 8707: the provider wants a resource "
                   "indicator; set resource in credd.toml)");
}

TEST(ParseTokenResponse, ExpiresInOfExactlyOneLeapYearIsAcceptedAndOneMoreIsNot) {
    const std::int64_t max = 366LL * 24 * 3600;
    auto ok = parse_token_response(200, R"({"access_token":"AT","expires_in":)" + std::to_string(max) + "}", false);
    ASSERT_TRUE(ok.has_value()) << ok.error().message;
    EXPECT_EQ(ok->expires_in, max);
    EXPECT_FALSE(
        parse_token_response(200, R"({"access_token":"AT","expires_in":)" + std::to_string(max + 1) + "}", false)
            .has_value());
}

TEST(ParseTokenResponse, ErrorFieldOnHttp200IsStillAnError) {
    auto r = parse_token_response(200, R"({"error":"invalid_grant","access_token":"AT"})", true);
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error().code, Errc::login_required);
}

TEST(InterpretTokenAnswer, RedirectIsRefusedNamingItsTargetAndNotRetried) {
    auto a = interpret_token_answer(test::answered(302, "", "https://elsewhere.example/login"), true);
    ASSERT_FALSE(a.result.has_value());
    EXPECT_EQ(a.result.error().code, Errc::provider_unavailable);
    EXPECT_EQ(a.result.error().message,
              "token endpoint answered HTTP 302 redirecting to \"https://elsewhere.example/login\"; redirects are not "
              "followed");
    EXPECT_FALSE(a.retryable);
}

TEST(InterpretTokenAnswer, ServerErrorsAndTooManyRequestsAreRetryable) {
    EXPECT_TRUE(interpret_token_answer(test::answered(503, "{}"), true).retryable);
    EXPECT_TRUE(interpret_token_answer(test::answered(500, "oops"), true).retryable);
    EXPECT_TRUE(interpret_token_answer(test::answered(429, R"({"error":"slow_down"})"), true).retryable);
}

TEST(InterpretTokenAnswer, InvalidGrantIsLoginRequiredAndNeverRetried) {
    auto a = interpret_token_answer(test::answered(400, R"({"error":"invalid_grant"})"), true);
    ASSERT_FALSE(a.result.has_value());
    EXPECT_EQ(a.result.error().code, Errc::login_required);
    EXPECT_FALSE(a.retryable);
}

TEST(InterpretTokenAnswer, TransportFailureKeepsItsRetryability) {
    Attempt<http::Response> o{make_error(Errc::provider_unavailable, "connecting: refused"), true};
    auto a = interpret_token_answer(std::move(o), true);
    EXPECT_TRUE(a.retryable);
    EXPECT_EQ(a.result.error().message, "connecting: refused");
}

TEST(ParseTokenResponse, HostileAnswersAreClearErrors) {
    struct Case {
        std::string body;
        std::string message;
    };
    for (const auto& c : std::vector<Case>{
             {"<html>sign in</html>", "token endpoint answered HTTP 200 with a body that is not JSON"},
             {R"({"token_type":"Bearer","refresh_token":"RT"})", "token endpoint response has no access_token"},
             {R"({"access_token":"AT","token_type":"mac"})",
              "token endpoint returned an unsupported token_type: \"mac\""},
             {R"({"access_token":"AT","expires_in":-5})", "token endpoint returned an invalid expires_in"},
             {R"({"access_token":"AT","expires_in":1000000000000})", "token endpoint returned an invalid expires_in"},
             {R"({"access_token":"AT","expires_in":"3600"})", "token endpoint returned an invalid expires_in"},
             {R"(["access_token"])", "token endpoint answered HTTP 200 with a body that is not JSON"},
         }) {
        auto r = parse_token_response(200, c.body, true);
        ASSERT_FALSE(r.has_value()) << c.body;
        EXPECT_EQ(r.error().code, Errc::provider_unavailable) << c.body;
        EXPECT_EQ(r.error().message, c.message) << c.body;
    }
}

}  // namespace
}  // namespace credctl::oauth
