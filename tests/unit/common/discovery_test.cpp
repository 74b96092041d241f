#include "common/oauth/discovery.hpp"

#include "support/http_answers.hpp"

#include <gtest/gtest.h>

#include <string>

namespace credctl::oauth {
namespace {

ProviderConfig issuer_provider() {
    ProviderConfig p;
    p.name = "corp";
    p.issuer = "https://login.example";
    p.client_id = "c";
    return p;
}

constexpr std::string_view k_https_discovery = "https://login.example/.well-known/openid-configuration";

// A document of `issuer` whose four endpoints are under `base`, but for
// `field`, whose value is the JSON text `value_json` (quotes included).
std::string document_naming(std::string_view issuer, std::string_view base, std::string_view field,
                            std::string_view value_json) {
    std::string doc = "{\"issuer\":\"" + std::string(issuer) + "\"";
    for (std::string_view f :
         {"authorization_endpoint", "token_endpoint", "revocation_endpoint", "device_authorization_endpoint"}) {
        doc += ",\"" + std::string(f) + "\":";
        doc += f == field ? std::string(value_json) : "\"" + std::string(base) + "/" + std::string(f) + "\"";
    }
    return doc + "}";
}

ProviderConfig loopback_issuer_provider() {
    ProviderConfig p = issuer_provider();
    p.issuer = "http://127.0.0.1:9000";
    return p;
}

TEST(Discovery, DocumentGivesEndpointsAndIssParameterSupport) {
    auto d = interpret_discovery(issuer_provider(), "https://login.example/.well-known/openid-configuration",
                                 test::answered(200, R"({"issuer":"https://login.example",
                                   "authorization_endpoint":"https://login.example/auth",
                                   "token_endpoint":"https://login.example/token",
                                   "revocation_endpoint":"https://login.example/revoke",
                                   "device_authorization_endpoint":"https://login.example/device",
                                   "authorization_response_iss_parameter_supported":true})"));
    ASSERT_TRUE(d.result.has_value()) << d.result.error().message;
    EXPECT_EQ(d.result->token_endpoint, "https://login.example/token");
    EXPECT_EQ(d.result->revocation_endpoint, "https://login.example/revoke");
    EXPECT_EQ(d.result->device_authorization_endpoint, "https://login.example/device");
    EXPECT_TRUE(d.result->iss_parameter_supported);
}

TEST(Discovery, AnotherIssuerIsRefusedAndNotRetried) {
    auto d = interpret_discovery(issuer_provider(), "https://login.example/.well-known/openid-configuration",
                                 test::answered(200, R"({"issuer":"https://evil.example",
                                   "authorization_endpoint":"a","token_endpoint":"t"})"));
    ASSERT_FALSE(d.result.has_value());
    EXPECT_EQ(d.result.error().message,
              "discovery at https://login.example/.well-known/openid-configuration "
              "names another issuer: \"https://evil.example\"");
    EXPECT_FALSE(d.retryable);
}

TEST(Discovery, ServerErrorIsRetryableAndGarbageIsNot) {
    const std::string url = "https://login.example/.well-known/openid-configuration";
    EXPECT_TRUE(interpret_discovery(issuer_provider(), url, test::answered(503, "")).retryable);
    auto garbage = interpret_discovery(issuer_provider(), url, test::answered(200, "<html>"));
    ASSERT_FALSE(garbage.result.has_value());
    EXPECT_FALSE(garbage.retryable);
}

TEST(Discovery, ExplicitEndpointsNeedNoDiscoveryAndOverrideIt) {
    ProviderConfig p;
    p.name = "gh";
    p.authorization_endpoint = "https://gh.example/login/oauth/authorize";
    p.token_endpoint = "https://gh.example/login/oauth/access_token";
    EXPECT_FALSE(needs_discovery(p));
    auto d = interpret_discovery(p, {}, Attempt<http::Response>{});
    ASSERT_TRUE(d.result.has_value());
    EXPECT_EQ(d.result->token_endpoint, "https://gh.example/login/oauth/access_token");
    EXPECT_TRUE(d.result->revocation_endpoint.empty());
    EXPECT_TRUE(needs_discovery(issuer_provider()));
}

TEST(Discovery, PlainHttpAuthorizationEndpointOfAnHttpsIssuerIsRefusedNamingTheField) {
    auto d = interpret_discovery(
        issuer_provider(), std::string(k_https_discovery),
        test::answered(200, document_naming("https://login.example", "https://login.example", "authorization_endpoint",
                                            R"("http://evil.example/authorize")")));
    ASSERT_FALSE(d.result.has_value());
    EXPECT_EQ(d.result.error().code, Errc::provider_unavailable);
    EXPECT_EQ(d.result.error().message,
              "discovery at https://login.example/.well-known/openid-configuration: authorization_endpoint: plain "
              "http is allowed only under a loopback http issuer: \"http://evil.example/authorize\"");
    EXPECT_FALSE(d.retryable);
}

// An https issuer naming a loopback http endpoint would send the code, the
// verifier, a client secret or a refresh token to whichever local uid binds
// the port.
TEST(Discovery, LoopbackHttpEndpointsOfAnHttpsIssuerAreRefused) {
    for (std::string_view field :
         {"authorization_endpoint", "token_endpoint", "revocation_endpoint", "device_authorization_endpoint"}) {
        auto d =
            interpret_discovery(issuer_provider(), std::string(k_https_discovery),
                                test::answered(200, document_naming("https://login.example", "https://login.example",
                                                                    field, R"("http://127.0.0.1:8080/x")")));
        ASSERT_FALSE(d.result.has_value()) << field;
        EXPECT_EQ(d.result.error().message,
                  "discovery at https://login.example/.well-known/openid-configuration: " + std::string(field) +
                      ": plain http is allowed only under a loopback http issuer: \"http://127.0.0.1:8080/x\"");
    }
}

TEST(Discovery, LoopbackHttpIssuerMayNameLoopbackHttpEndpointsOnly) {
    const std::string url = "http://127.0.0.1:9000/.well-known/openid-configuration";
    const std::string issuer = "http://127.0.0.1:9000";
    auto ok = interpret_discovery(
        loopback_issuer_provider(), url,
        test::answered(200, document_naming(issuer, issuer, "token_endpoint", R"("http://localhost:9001/token")")));
    ASSERT_TRUE(ok.result.has_value()) << ok.result.error().message;
    EXPECT_EQ(ok.result->authorization_endpoint, "http://127.0.0.1:9000/authorization_endpoint");
    EXPECT_EQ(ok.result->token_endpoint, "http://localhost:9001/token");
    for (std::string_view bad : {R"("http://evil.example/authorize")", R"("http://127.0.0.1.evil.example/a")"}) {
        auto d =
            interpret_discovery(loopback_issuer_provider(), url,
                                test::answered(200, document_naming(issuer, issuer, "authorization_endpoint", bad)));
        ASSERT_FALSE(d.result.has_value()) << bad;
        EXPECT_NE(d.result.error().message.find("authorization_endpoint: "), std::string::npos)
            << d.result.error().message;
    }
}

TEST(Discovery, EndpointThatIsNoURLIsRefusedWithControlCharactersEscaped) {
    const std::string url = "http://127.0.0.1:9000/.well-known/openid-configuration";
    const std::string issuer = "http://127.0.0.1:9000";
    auto spaced = interpret_discovery(
        loopback_issuer_provider(), url,
        test::answered(200, document_naming(issuer, issuer, "authorization_endpoint", R"("http://127.0.0.1:1/a b")")));
    ASSERT_FALSE(spaced.result.has_value());
    EXPECT_EQ(spaced.result.error().message,
              "discovery at " + url +
                  ": authorization_endpoint: not a valid absolute URL without a fragment: \"http://127.0.0.1:1/a b\"");
    auto escaped = interpret_discovery(
        loopback_issuer_provider(), url,
        test::answered(200, document_naming(issuer, issuer, "token_endpoint",
                                            R"("http://127.0.0.1:1/\u001b]0;title\u0007\n<0>forged")")));
    ASSERT_FALSE(escaped.result.has_value());
    EXPECT_EQ(escaped.result.error().message, "discovery at " + url +
                                                  ": token_endpoint: not a valid absolute URL without a fragment: "
                                                  "\"http://127.0.0.1:1/\\x1b]0;title\\x07\\x0a<0>forged\"");
    for (std::string_view bad :
         {R"j("javascript:alert(1)")j", R"("https://login.example/auth#f")", R"("https:///auth")"}) {
        auto d = interpret_discovery(
            issuer_provider(), std::string(k_https_discovery),
            test::answered(
                200, document_naming("https://login.example", "https://login.example", "authorization_endpoint", bad)));
        EXPECT_FALSE(d.result.has_value()) << bad;
    }
}

TEST(Discovery, AHugeEndpointIsCutInTheMessage) {
    const std::string huge(100000, 'a');
    auto d = interpret_discovery(
        issuer_provider(), std::string(k_https_discovery),
        test::answered(200, document_naming("https://login.example", "https://login.example", "token_endpoint",
                                            "\"http://x.example/" + huge + "\"")));
    ASSERT_FALSE(d.result.has_value());
    EXPECT_LT(d.result.error().message.size(), 512u);
    EXPECT_TRUE(d.result.error().message.ends_with("aaa\"...")) << d.result.error().message;
}

TEST(Discovery, HttpsEndpointsOnOtherHostsAreAccepted) {
    auto d = interpret_discovery(
        issuer_provider(), std::string(k_https_discovery),
        test::answered(200, document_naming("https://login.example", "https://login.example", "token_endpoint",
                                            R"("https://tokens.example:8443/v2/token?tenant=a")")));
    ASSERT_TRUE(d.result.has_value()) << d.result.error().message;
    EXPECT_EQ(d.result->token_endpoint, "https://tokens.example:8443/v2/token?tenant=a");
}

// Explicit endpoints follow the config's rule (plain http to loopback, even
// under an https issuer: the administrator's choice), checked again since
// credctl has its copy over credd's socket.
TEST(Discovery, ExplicitEndpointsAreHeldToTheConfigRule) {
    ProviderConfig p = issuer_provider();
    p.authorization_endpoint = "https://login.example/auth";
    p.token_endpoint = "http://127.0.0.1:8080/token";
    auto local = interpret_discovery(p, {}, Attempt<http::Response>{});
    ASSERT_TRUE(local.result.has_value()) << local.result.error().message;
    EXPECT_EQ(local.result->token_endpoint, "http://127.0.0.1:8080/token");
    p.token_endpoint = "http://evil.example/token";
    auto remote = interpret_discovery(p, {}, Attempt<http::Response>{});
    ASSERT_FALSE(remote.result.has_value());
    EXPECT_EQ(remote.result.error().code, Errc::bad_request);
    EXPECT_EQ(remote.result.error().message,
              "provider corp: token_endpoint: plain http is allowed only for loopback hosts: "
              "\"http://evil.example/token\"");
}

TEST(Discovery, AnotherIssuerIsShownWithControlCharactersEscaped) {
    auto d = interpret_discovery(issuer_provider(), std::string(k_https_discovery),
                                 test::answered(200, R"({"issuer":"https://login.example\u001b[2J"})"));
    ASSERT_FALSE(d.result.has_value());
    EXPECT_EQ(d.result.error().message,
              "discovery at https://login.example/.well-known/openid-configuration "
              "names another issuer: \"https://login.example\\x1b[2J\"");
}

}  // namespace
}  // namespace credctl::oauth
