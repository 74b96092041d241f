#include "common/oauth/oauth_client.hpp"

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

}  // namespace
}  // namespace credctl::oauth
