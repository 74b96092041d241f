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

// What a strict reader (Boost.JSON's parser, which refuses invalid UTF-8)
// reads back from appended(s).
std::string read_back(std::string_view s) {
    const std::string text = appended(s);
    boost::system::error_code ec;
    const auto v = boost::json::parse(text, ec);
    EXPECT_FALSE(ec) << "not valid JSON: " << text;
    if (ec || !v.is_string()) return "(unreadable)";
    return std::string(v.as_string());
}

constexpr std::string_view k_replacement = "\xef\xbf\xbd";  // U+FFFD

TEST(Wire, JsonStringsOfValidTextAreEscapedAsBoostJsonDoes) {
    for (int b = 0; b < 0x7f; ++b) {
        const std::string one(1, static_cast<char>(b));
        EXPECT_EQ(appended(one), boost::json::serialize(boost::json::string_view(one))) << "byte " << b;
    }
    std::string ascii;
    for (int b = 0; b < 0x7f; ++b) ascii += static_cast<char>(b);
    EXPECT_EQ(appended(ascii), boost::json::serialize(boost::json::string_view(ascii)));
    for (const std::string_view text : {"", "grant \"nightly\"\t\\ é", "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x94\x91",
                                        "\xc2\xa0\xdf\xbf\xef\xbf\xbf\xf4\x8f\xbf\xbf"}) {
        EXPECT_EQ(appended(text), boost::json::serialize(boost::json::string_view(text)));
        EXPECT_EQ(read_back(text), text);
    }
    EXPECT_EQ(appended("grant \"nightly\"\t\\ é"), "\"grant \\\"nightly\\\"\\t\\\\ é\"");
    std::string out = "{\"a\":";  // appends, never replaces
    append_json_string(out, "b");
    EXPECT_EQ(out, "{\"a\":\"b\"");
}

// DEL and the C1 controls are escaped (a terminal showing the line may act
// on them; "\u009b" is CSI) and read back as they were.
TEST(Wire, JsonStringsEscapeDelAndTheC1Controls) {
    EXPECT_EQ(appended("\x7f"), "\"\\u007f\"");
    EXPECT_EQ(appended("\xc2\x80"), "\"\\u0080\"");
    EXPECT_EQ(appended("/tmp/\xc2\x9b"
                       "31m"),
              "\"/tmp/\\u009b31m\"");
    EXPECT_EQ(appended("\xc2\x9f\xc2\xa0"), "\"\\u009f\xc2\xa0\"");  // U+00A0 is text
    for (int b = 0x80; b <= 0x9f; ++b) {
        const std::string c1{'\xc2', static_cast<char>(b)};
        EXPECT_EQ(read_back(c1), c1) << "U+00" << std::hex << b;
        EXPECT_EQ(appended(c1).find('\xc2'), std::string::npos);
    }
}

// Bytes of no valid UTF-8 sequence become U+FFFD, one each: the line stays
// readable by a reader that checks its input.
TEST(Wire, JsonStringsReplaceEachByteOfNoValidUtf8Sequence) {
    const auto replaced = [](int n) {
        std::string r;
        for (int i = 0; i < n; ++i) r += k_replacement;
        return r;
    };
    for (int b = 0x80; b <= 0xff; ++b) {
        const std::string one(1, static_cast<char>(b));
        EXPECT_EQ(appended(one), "\"" + replaced(1) + "\"") << "byte " << b;
    }
    EXPECT_EQ(read_back("/home/mallory/\xff/credctl"), "/home/mallory/" + replaced(1) + "/credctl");
    EXPECT_EQ(read_back("\xc0\xaf"), replaced(2));           // overlong '/'
    EXPECT_EQ(read_back("\xed\xa0\x80"), replaced(3));       // a surrogate
    EXPECT_EQ(read_back("\xf4\x90\x80\x80"), replaced(4));   // above U+10FFFF
    EXPECT_EQ(read_back("ab\xe2\x82"), "ab" + replaced(2));  // cut short at the end
    EXPECT_EQ(read_back("\xe2\x82\xac\xe2\x82"), "\xe2\x82\xac" + replaced(2));
    EXPECT_EQ(read_back("\xe2\"x"), replaced(1) + "\"x");  // the quote after it is escaped, not swallowed
}

// Runs of plain bytes are skipped eight at a time: a byte that needs a look
// is found at every place in and across those words, among plain bytes next
// to the ones that need escapes ('!' and '#' around '"', '[' and ']' around
// '\\', '~' below DEL, the space) or above 0x7f, and one that needs none is
// never escaped. Every result is valid JSON of valid UTF-8, and text that
// was valid UTF-8 without DEL or a C1 control is written as Boost.JSON
// writes it.
TEST(Wire, JsonStringsAreEscapedWhereverTheByteFallsInALongString) {
    for (const char filler : {'a', '!', '#', '[', ']', '~', '\x7f', '\x80', '\xdf', '\xff', ' '}) {
        for (int b = 0; b < 256; ++b) {
            for (std::size_t at = 0; at < 24; ++at) {
                std::string s(24, filler);
                s[at] = static_cast<char>(b);
                const std::string text = appended(s);
                boost::system::error_code ec;
                const auto v = boost::json::parse(text, ec);
                ASSERT_FALSE(ec) << "byte " << b << " at " << at << " among " << static_cast<int>(filler);
                const bool plain_text = static_cast<unsigned char>(filler) < 0x7f && b < 0x7f;
                if (plain_text) {
                    ASSERT_EQ(text, boost::json::serialize(boost::json::string_view(s)))
                        << "byte " << b << " at " << at << " among " << static_cast<int>(filler);
                    ASSERT_EQ(v.as_string(), s);
                }
            }
        }
    }
    // Two to escape in one word, and a string ending with one.
    EXPECT_EQ(appended("abc\"de\nfgh"), "\"abc\\\"de\\nfgh\"");
    EXPECT_EQ(appended("abcdefghijklmno\x01"), "\"abcdefghijklmno\\u0001\"");
    EXPECT_EQ(appended("abcdefghijklmno\x7f"), "\"abcdefghijklmno\\u007f\"");
    EXPECT_EQ(appended("abcdefgh\xc3\xa9ijklmnop"), "\"abcdefgh\xc3\xa9ijklmnop\"");
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
