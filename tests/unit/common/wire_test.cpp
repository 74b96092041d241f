#include "common/wire/wire.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <string>
#include <vector>

namespace credctl::wire {
namespace {

TEST(Wire, StoreCredentialRoundTrips) {
    StoreCredential in;
    in.refresh_token = SecretBytes::from("RT-abc");
    in.access_token = SecretBytes::from("AT-def");
    in.access_expires_at = 1700000000;
    in.scope = "openid email";
    in.issuer = "https://issuer.example";
    in.subject = "sub-1";
    auto out = parse_store_credential(to_json(in));
    ASSERT_TRUE(out.has_value()) << out.error().message;
    EXPECT_EQ(out->refresh_token.reveal(), "RT-abc");
    EXPECT_EQ(out->access_token.reveal(), "AT-def");
    EXPECT_EQ(out->access_expires_at, 1700000000);
    EXPECT_EQ(out->scope, "openid email");
    EXPECT_EQ(out->issuer, "https://issuer.example");
    EXPECT_EQ(out->subject, "sub-1");
}

TEST(Wire, StoreCredentialWithoutAccessTokenRoundTrips) {
    StoreCredential in;
    in.refresh_token = SecretBytes::from("RT");
    auto out = parse_store_credential(to_json(in));
    ASSERT_TRUE(out.has_value()) << out.error().message;
    EXPECT_EQ(out->refresh_token.reveal(), "RT");
    EXPECT_TRUE(out->access_token.empty());
}

TEST(Wire, StoreCredentialWithoutRefreshTokenIsBadRequest) {
    auto out = parse_store_credential(R"({"access_token":"AT","scope":"x"})");
    ASSERT_FALSE(out.has_value());
    EXPECT_EQ(out.error().code, Errc::bad_request);
}

TEST(Wire, StoreCredentialThatIsNotJsonIsBadRequest) {
    auto out = parse_store_credential("not json");
    ASSERT_FALSE(out.has_value());
    EXPECT_EQ(out.error().code, Errc::bad_request);
}

TEST(Wire, AccessTokenRoundTrips) {
    AccessToken in;
    in.access_token = SecretBytes::from("AT-xyz");
    in.expires_at = 1800000000;
    in.scope = "read";
    auto out = parse_access_token(to_json(in));
    ASSERT_TRUE(out.has_value()) << out.error().message;
    EXPECT_EQ(out->access_token.reveal(), "AT-xyz");
    EXPECT_EQ(out->token_type, "Bearer");
    EXPECT_EQ(out->expires_at, 1800000000);
    EXPECT_EQ(out->scope, "read");
}

TEST(Wire, CredentialListRoundTrips) {
    std::vector<CredentialInfo> in(2);
    in[0] = {"alice", "github", "https://gh", "s1", "repo", 10, 20, 30, "valid"};
    in[1] = {"alice", "google", "https://g", "s2", "email", 11, 21, 0, "provider_unavailable", 1800000000};
    auto out = parse_credential_list(to_json(in));
    ASSERT_TRUE(out.has_value()) << out.error().message;
    ASSERT_EQ(out->size(), 2u);
    for (std::size_t i = 0; i < 2; ++i) {
        EXPECT_EQ((*out)[i].user, in[i].user);
        EXPECT_EQ((*out)[i].provider, in[i].provider);
        EXPECT_EQ((*out)[i].issuer, in[i].issuer);
        EXPECT_EQ((*out)[i].subject, in[i].subject);
        EXPECT_EQ((*out)[i].scope, in[i].scope);
        EXPECT_EQ((*out)[i].created_at, in[i].created_at);
        EXPECT_EQ((*out)[i].updated_at, in[i].updated_at);
        EXPECT_EQ((*out)[i].access_expires_at, in[i].access_expires_at);
        EXPECT_EQ((*out)[i].state, in[i].state);
        EXPECT_EQ((*out)[i].unavailable_since, in[i].unavailable_since);
    }
}

TEST(Wire, EmptyCredentialListRoundTrips) {
    auto out = parse_credential_list(to_json(std::vector<CredentialInfo>{}));
    ASSERT_TRUE(out.has_value()) << out.error().message;
    EXPECT_TRUE(out->empty());
}

TEST(Wire, StatusRoundTrips) {
    Status in{"0.1.0", 123, 4, 5, "ok"};
    auto out = parse_status(to_json(in));
    ASSERT_TRUE(out.has_value()) << out.error().message;
    EXPECT_EQ(out->version, "0.1.0");
    EXPECT_EQ(out->uptime_seconds, 123);
    EXPECT_EQ(out->credentials, 4);
    EXPECT_EQ(out->connections, 5);
    EXPECT_EQ(out->store, "ok");
}

TEST(Wire, ProvidersRoundTripPublicSettings) {
    ProviderConfig p;
    p.name = "demo";
    p.issuer = "https://issuer.example";
    p.authorization_endpoint = "https://issuer.example/auth";
    p.token_endpoint = "https://issuer.example/token";
    p.client_id = "client-x";
    p.scopes = {"openid", "email"};
    p.redirect_port = 8765;
    auto out = parse_providers(to_json(std::vector<ProviderConfig>{p}));
    ASSERT_TRUE(out.has_value()) << out.error().message;
    ASSERT_EQ(out->size(), 1u);
    const ProviderConfig& q = (*out)[0];
    EXPECT_EQ(q.name, "demo");
    EXPECT_EQ(q.issuer, p.issuer);
    EXPECT_EQ(q.authorization_endpoint, p.authorization_endpoint);
    EXPECT_EQ(q.token_endpoint, p.token_endpoint);
    EXPECT_EQ(q.client_id, "client-x");
    EXPECT_EQ(q.scopes, p.scopes);
    EXPECT_EQ(q.redirect_port, 8765);
}

TEST(Wire, ProvidersJsonOmitsClientSecretFile) {
    ProviderConfig p;
    p.name = "demo";
    p.client_id = "c";
    p.client_secret_file = "/etc/credd/secret-PATH-CANARY";
    const std::string json = to_json(std::vector<ProviderConfig>{p});
    EXPECT_EQ(json.find("secret-PATH-CANARY"), std::string::npos) << json;
}

TEST(Wire, ProblemJsonHasCodeStatusAndDetail) {
    const std::string body = to_json(Problem{Errc::forbidden, "user bob is not alice"});
    const auto v = boost::json::parse(body).as_object();
    EXPECT_EQ(v.at("code").as_string(), "forbidden");
    EXPECT_EQ(v.at("status").as_int64(), 403);
    EXPECT_EQ(v.at("detail").as_string(), "user bob is not alice");
}

TEST(Wire, ProblemParsesBackIntoError) {
    const Error e = parse_problem(409, to_json(Problem{Errc::login_required, "log in again"}));
    EXPECT_EQ(e.code, Errc::login_required);
    EXPECT_EQ(e.message, "log in again");
}

TEST(Wire, NonProblemBodyIsInternalNamingTheStatus) {
    const Error e = parse_problem(502, "<html>bad gateway</html>");
    EXPECT_EQ(e.code, Errc::internal);
    EXPECT_EQ(e.message, "daemon answered HTTP 502 without a problem document");
}

TEST(Wire, ValidNameAcceptsOrdinaryNames) {
    EXPECT_TRUE(valid_name("alice"));
    EXPECT_TRUE(valid_name("demo-user"));
    EXPECT_TRUE(valid_name("a.b_c@x"));
    EXPECT_TRUE(valid_name(std::string(64, 'a')));
}

TEST(Wire, ValidNameRejectsPathTricksAndOverlongNames) {
    EXPECT_FALSE(valid_name(""));
    EXPECT_FALSE(valid_name("../x"));
    EXPECT_FALSE(valid_name("a/b"));
    EXPECT_FALSE(valid_name(".hidden"));
    EXPECT_FALSE(valid_name(std::string(65, 'a')));
    EXPECT_FALSE(valid_name("a b"));
    EXPECT_FALSE(valid_name(std::string("a\0b", 3)));
}

TEST(Wire, StoreCredentialWithEmptyRefreshTokenIsBadRequest) {
    auto out = parse_store_credential(R"({"refresh_token":""})");
    ASSERT_FALSE(out.has_value());
    EXPECT_EQ(out.error().code, Errc::bad_request);
    EXPECT_EQ(out.error().message, "credential: refresh_token is required");
}

TEST(Wire, ValidNameRejectsLeadingDashAndDotDot) {
    EXPECT_FALSE(valid_name("-rf"));
    EXPECT_FALSE(valid_name(".."));
    EXPECT_FALSE(valid_name("."));
}

}  // namespace
}  // namespace credctl::wire

namespace credctl::wire {
namespace {

std::string appended(std::string_view s) {
    std::string out;
    append_json_string(out, s);
    return out;
}

TEST(Wire, JsonStringsAreEscapedExactlyAsBoostJsonDoes) {
    for (int b = 0; b < 256; ++b) {
        const std::string one(1, static_cast<char>(b));
        EXPECT_EQ(appended(one), boost::json::serialize(boost::json::string_view(one))) << "byte " << b;
    }
    std::string all;
    for (int b = 0; b < 256; ++b) all += static_cast<char>(b);
    EXPECT_EQ(appended(all), boost::json::serialize(boost::json::string_view(all)));
    EXPECT_EQ(appended(""), "\"\"");
    EXPECT_EQ(appended("grant \"nightly\"\t\\ é"), "\"grant \\\"nightly\\\"\\t\\\\ é\"");
    std::string out = "{\"a\":";  // appends, never replaces
    append_json_string(out, "b");
    EXPECT_EQ(out, "{\"a\":\"b\"");
}

// Runs of plain bytes are skipped eight at a time: a byte that needs an
// escape is found at every place in and across those words, among plain
// bytes next to the ones that need escapes ('!' and '#' around '"', '[' and
// ']' around '\\', the space) or above 0x7f, and one that needs none is
// never escaped.
TEST(Wire, JsonStringsAreEscapedWhereverTheByteFallsInALongString) {
    for (const char filler : {'a', '!', '#', '[', ']', '\x7f', '\x80', '\xdf', '\xff', ' '}) {
        for (int b = 0; b < 256; ++b) {
            for (std::size_t at = 0; at < 24; ++at) {
                std::string s(24, filler);
                s[at] = static_cast<char>(b);
                ASSERT_EQ(appended(s), boost::json::serialize(boost::json::string_view(s)))
                    << "byte " << b << " at " << at << " among " << static_cast<int>(filler);
            }
        }
    }
    // Two to escape in one word, and a string ending with one.
    EXPECT_EQ(appended("abc\"de\nfgh"), "\"abc\\\"de\\nfgh\"");
    EXPECT_EQ(appended("abcdefghijklmno\x01"), "\"abcdefghijklmno\\u0001\"");
}

TEST(Wire, AccessTokenJsonIsTheDocumentedObject) {
    AccessToken in;
    in.access_token = SecretBytes::from("AT \"quoted\"\n");
    in.expires_at = 1700000000;
    in.scope = "openid email";
    const SecretString text = to_json(in);
    const auto v = boost::json::parse(text).as_object();
    std::vector<std::string> keys;
    for (const auto& kv : v) keys.emplace_back(kv.key());
    EXPECT_EQ(keys, (std::vector<std::string>{"access_token", "token_type", "expires_at", "scope"}));
    EXPECT_EQ(v.at("access_token").as_string(), "AT \"quoted\"\n");
    EXPECT_EQ(v.at("token_type").as_string(), "Bearer");
    EXPECT_EQ(v.at("expires_at").as_int64(), 1700000000);
    EXPECT_EQ(v.at("scope").as_string(), "openid email");
}

}  // namespace
}  // namespace credctl::wire
