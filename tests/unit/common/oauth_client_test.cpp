#include "common/oauth/oauth_client.hpp"

#include "common/oauth/oauth_async.hpp"
#include "common/oauth/run_blocking.hpp"

#include "common/crypto/crypto.hpp"
#include "temp_dir.hpp"

#include <sys/stat.h>

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace credctl::oauth {
namespace {

std::string jwt_with_payload(const std::string& payload_json) {
    return crypto::base64url_encode(R"({"alg":"none","typ":"JWT"})") + "." + crypto::base64url_encode(payload_json) +
           ".c2lnbmF0dXJl";
}

TEST(RefreshForm, CarriesTheResourceFormEncodedOnlyWhenConfigured) {
    ProviderConfig p;
    const SecretBytes rt("RT", 2);
    EXPECT_EQ(refresh_form(p, rt, {}), "grant_type=refresh_token&refresh_token=RT");
    p.resource = "https://api.example/v1?a=b";
    EXPECT_EQ(refresh_form(p, rt, {"openid"}),
              "grant_type=refresh_token&refresh_token=RT&scope=openid&resource=https%3A%2F%2Fapi.example%2Fv1%3Fa%3Db");
}

TEST(MakePkce, ChallengeIsBase64urlOfSha256OfVerifier) {
    const Pkce p = make_pkce();
    EXPECT_EQ(p.verifier.size(), 43u);
    EXPECT_EQ(p.challenge, crypto::base64url_encode(crypto::sha256(p.verifier)));
    EXPECT_EQ(p.challenge.size(), 43u);
}

TEST(MakePkce, VerifiersAreDistinct) {
    EXPECT_NE(make_pkce().verifier, make_pkce().verifier);
}

TEST(ParseIdTokenClaims, ExtractsClaimsWithStringAudience) {
    auto r = parse_id_token_claims(
        jwt_with_payload(R"({"iss":"https://issuer.example","sub":"user-42","nonce":"n-1","aud":"client-x"})"));
    ASSERT_TRUE(r.has_value()) << r.error().message;
    EXPECT_EQ(r->issuer, "https://issuer.example");
    EXPECT_EQ(r->subject, "user-42");
    EXPECT_EQ(r->nonce, "n-1");
    EXPECT_EQ(r->audience, (std::vector<std::string>{"client-x"}));
}

TEST(ParseIdTokenClaims, ExtractsArrayAudience) {
    auto r = parse_id_token_claims(
        jwt_with_payload(R"({"iss":"https://i","sub":"s","nonce":"n","aud":["client-a","client-b"]})"));
    ASSERT_TRUE(r.has_value()) << r.error().message;
    EXPECT_EQ(r->audience, (std::vector<std::string>{"client-a", "client-b"}));
}

TEST(ParseIdTokenClaims, RejectsGarbage) {
    for (const std::string& bad :
         {std::string("not-a-jwt"), std::string("only.one"), std::string("a.!!!.c"),
          crypto::base64url_encode("{}") + "." + crypto::base64url_encode("not json") + ".s", std::string("")}) {
        auto r = parse_id_token_claims(bad);
        EXPECT_FALSE(r.has_value()) << bad;
        if (!r) {
            EXPECT_EQ(r.error().code, Errc::provider_unavailable) << bad;
        }
    }
}

TEST(AuthorizationUrl, CarriesPkceStateNonceAndRedirect) {
    Endpoints e;
    e.authorization_endpoint = "https://idp.example/authorize";
    ProviderConfig p;
    p.name = "demo";
    p.client_id = "client-x";
    p.scopes = {"openid", "email"};
    const auto built =
        authorization_url(e, p, "http://127.0.0.1:8765/callback", "STATE123", "NONCE456", "CHALLENGE789");
    ASSERT_TRUE(built.has_value()) << built.error().message;
    const std::string& url = *built;
    EXPECT_EQ(url.rfind("https://idp.example/authorize?", 0), 0u) << url;
    EXPECT_NE(url.find("response_type=code"), std::string::npos) << url;
    EXPECT_NE(url.find("client_id=client-x"), std::string::npos) << url;
    EXPECT_NE(url.find("code_challenge=CHALLENGE789"), std::string::npos) << url;
    EXPECT_NE(url.find("code_challenge_method=S256"), std::string::npos) << url;
    EXPECT_NE(url.find("state=STATE123"), std::string::npos) << url;
    EXPECT_NE(url.find("nonce=NONCE456"), std::string::npos) << url;
    EXPECT_NE(url.find("redirect_uri=http"), std::string::npos) << url;
    EXPECT_NE(url.find("127.0.0.1"), std::string::npos) << url;
    EXPECT_NE(url.find("8765"), std::string::npos) << url;
    EXPECT_NE(url.find("scope=openid"), std::string::npos) << url;
}

TEST(AuthorizationUrl, OmitsNonceWhenEmpty) {
    Endpoints e;
    e.authorization_endpoint = "https://idp.example/authorize";
    ProviderConfig p;
    p.client_id = "c";
    const auto url = authorization_url(e, p, "http://127.0.0.1:1/cb", "S", "", "C");
    ASSERT_TRUE(url.has_value()) << url.error().message;
    EXPECT_EQ(url->find("nonce="), std::string::npos) << *url;
}

TEST(AuthorizationUrl, AnEndpointThatIsNoURLIsAnErrorNotAnException) {
    Endpoints e;
    e.authorization_endpoint = "http://127.0.0.1:1/a b\x1b[2J";
    ProviderConfig p;
    p.client_id = "c";
    const auto url = authorization_url(e, p, "http://127.0.0.1:1/cb", "S", "", "C");
    ASSERT_FALSE(url.has_value());
    EXPECT_EQ(url.error().code, Errc::provider_unavailable);
    EXPECT_EQ(url.error().message, "authorization endpoint is not a valid URL: \"http://127.0.0.1:1/a b\\x1b[2J\"");
}

TEST(ReadClientSecret, StripsTrailingNewlineFromPrivateFile) {
    credctl::test::TempDir dir;
    const std::string path = dir.write("secret", "s3cr3t\n");
    ASSERT_EQ(::chmod(path.c_str(), 0600), 0);
    auto s = read_client_secret(path);
    ASSERT_TRUE(s.has_value()) << s.error().message;
    EXPECT_EQ(s->reveal(), "s3cr3t");
}

TEST(ReadClientSecret, GroupReadableFileIsRefused) {
    credctl::test::TempDir dir;
    const std::string path = dir.write("secret", "s3cr3t");
    ASSERT_EQ(::chmod(path.c_str(), 0640), 0);
    auto s = read_client_secret(path);
    ASSERT_FALSE(s.has_value());
    EXPECT_EQ(s.error().message, "client secret file " + path + " is readable by group or others");
}

TEST(ReadClientSecret, MissingFileIsAnError) {
    credctl::test::TempDir dir;
    EXPECT_FALSE(read_client_secret(dir.file("absent")).has_value());
}

// A secret longer than k_max_secret_file_bytes is refused, not truncated
// into an invalid_client at the provider.
TEST(ReadClientSecret, OversizedFileIsRefused) {
    credctl::test::TempDir dir;
    const std::string path = dir.write("secret", std::string(5000, 'x'));
    ASSERT_EQ(::chmod(path.c_str(), 0600), 0);
    auto s = read_client_secret(path);
    ASSERT_FALSE(s.has_value());
    EXPECT_EQ(s.error().message, "client secret file " + path + " is larger than 4096 bytes");
}

TEST(AsyncRevoke, ProviderWithoutRevocationEndpointIsNotFound) {
    Endpoints e;
    e.token_endpoint = "http://127.0.0.1:1/token";
    ProviderConfig p;
    p.name = "gh";
    const SecretBytes token("rt", 2);
    const http::Options o;
    const Result<void> r = run_blocking(async_revoke(e, p, token, o));
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error().code, Errc::not_found);
    EXPECT_EQ(r.error().message, "provider gh offers no revocation endpoint");
}

TEST(HttpExchange, RefusedConnectionIsRetryableAndPlainHttpToRemoteIsNot) {
    http::Request req;
    req.url = "http://127.0.0.1:1/token";  // nothing listens on port 1
    const http::Options o;
    auto refused = run_blocking(http::async_exchange(req, o));
    ASSERT_FALSE(refused.result.has_value());
    EXPECT_TRUE(refused.retryable);
    req.url = "http://login.example.com/token";
    auto remote = run_blocking(http::async_exchange(req, o));
    ASSERT_FALSE(remote.result.has_value());
    EXPECT_EQ(remote.result.error().code, Errc::bad_request);
    EXPECT_FALSE(remote.retryable);
}

TEST(AuthorizationUrl, CarriesPkceStateNonceAndResource) {
    Endpoints e;
    e.authorization_endpoint = "https://p.example/auth";
    ProviderConfig p;
    p.client_id = "c";
    p.scopes = {"openid", "offline_access"};
    p.resource = "https://api.example";
    const auto built = authorization_url(e, p, "http://127.0.0.1:5/callback", "ST", "NO", "CH");
    ASSERT_TRUE(built.has_value()) << built.error().message;
    const std::string& url = *built;
    for (const char* part : {"response_type=code", "client_id=c", "state=ST", "nonce=NO", "code_challenge=CH",
                             "code_challenge_method=S256", "resource=https://api.example"}) {
        EXPECT_NE(url.find(part), std::string::npos) << part << " in " << url;
    }
}

TEST(AsyncRefresh, RefusedConnectionIsARetryableProviderUnavailable) {
    Endpoints e;
    e.token_endpoint = "http://127.0.0.1:1/token";  // nothing listens on port 1
    ProviderConfig p;
    p.name = "x";
    p.client_id = "c";
    const SecretBytes token("rt", 2);
    const http::Options o;
    const std::vector<std::string> scopes;
    const Attempt<TokenSet> out = run_blocking(async_refresh(e, p, token, scopes, o));
    ASSERT_FALSE(out.result.has_value());
    EXPECT_EQ(out.result.error().code, Errc::provider_unavailable);
    EXPECT_TRUE(out.retryable);
    EXPECT_NE(out.result.error().message.find("http://127.0.0.1:1/token"), std::string::npos);
}

}  // namespace
}  // namespace credctl::oauth
