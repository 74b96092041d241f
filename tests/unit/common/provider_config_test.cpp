#include "common/config/provider_toml.hpp"

#include "temp_dir.hpp"

#include <sys/stat.h>

#include <gtest/gtest.h>

namespace credctl::config {
namespace {

using credctl::test::TempDir;

Result<ProviderConfig> parse(const std::string& body) {
    TempDir dir;
    auto t = parse_toml_file(dir.write("p.toml", body));
    if (!t) return t.error();
    return parse_provider(Fields(*t, "p.toml", "providers.x"), "x");
}

TEST(ProviderConfig, DefaultsForTimeoutsAndFlags) {
    auto p = parse("issuer = \"https://login.example\"\nclient_id = \"c\"\n");
    ASSERT_TRUE(p.has_value()) << p.error().message;
    EXPECT_EQ(p->connect_timeout.count(), 5);
    EXPECT_EQ(p->timeout.count(), 0);  // credd's provider_timeout
    EXPECT_EQ(p->retry_deadline.count(), 30);
    EXPECT_FALSE(p->is_default);
    EXPECT_EQ(p->client_auth, ClientAuth::none);
}

TEST(ProviderConfig, EveryNewKeyIsRead) {
    TempDir dir;
    const std::string secret = dir.write("gh.secret", "s3cret\n");
    ::chmod(secret.c_str(), 0600);
    auto p = parse(
        "authorization_endpoint = \"https://gh.example/login/oauth/authorize\"\n"
        "token_endpoint = \"https://gh.example/login/oauth/access_token\"\n"
        "device_authorization_endpoint = \"https://gh.example/login/device/code\"\n"
        "client_id = \"c\"\nclient_auth = \"client_secret_post\"\nclient_secret_file = \"" +
        secret +
        "\"\n"
        "resource = \"https://api.example\"\ndefault = true\n"
        "connect_timeout_seconds = 2\ntimeout_seconds = 7\nretry_deadline_seconds = 20\n");
    ASSERT_TRUE(p.has_value()) << p.error().message;
    EXPECT_EQ(p->device_authorization_endpoint, "https://gh.example/login/device/code");
    EXPECT_EQ(p->client_auth, ClientAuth::client_secret_post);
    EXPECT_EQ(p->resource, "https://api.example");
    EXPECT_TRUE(p->is_default);
    EXPECT_EQ(p->connect_timeout.count(), 2);
    EXPECT_EQ(p->timeout.count(), 7);
    EXPECT_EQ(p->retry_deadline.count(), 20);
}

TEST(ProviderConfig, PlainHttpToARemoteHostIsRefusedNamingKeyAndValue) {
    auto p = parse("issuer = \"http://login.example.com\"\nclient_id = \"c\"\n");
    ASSERT_FALSE(p.has_value());
    EXPECT_EQ(
        p.error().message,
        "p.toml:1: providers.x.issuer: plain http is allowed only for loopback hosts: \"http://login.example.com\"");
}

TEST(ProviderConfig, PlainHttpToANameThatStartsLikeALoopbackAddressIsRefused) {
    auto p = parse("issuer = \"http://127.attacker.example\"\nclient_id = \"c\"\n");
    ASSERT_FALSE(p.has_value());
    EXPECT_NE(p.error().message.find("plain http is allowed only for loopback hosts"), std::string::npos)
        << p.error().message;
    // A name that starts with a whole loopback address: Boost.URL 1.81 takes
    // the address for the host and the rest for a path.
    p = parse("issuer = \"http://127.0.0.1.attacker.example:8080/x\"\nclient_id = \"c\"\n");
    ASSERT_FALSE(p.has_value());
    EXPECT_NE(p.error().message.find("not a URL with a host"), std::string::npos) << p.error().message;
    auto loop = parse("issuer = \"http://127.0.0.1:8080\"\nclient_id = \"c\"\n");
    EXPECT_TRUE(loop.has_value()) << loop.error().message;
}

TEST(ProviderConfig, ResourceIsAnyAbsoluteUriWithoutFragment) {
    for (const char* resource : {"https://api.example/v1?tenant=a", "http://api.example", "urn:example:api"}) {
        auto p = parse(std::string("issuer = \"https://i\"\nclient_id = \"c\"\nresource = \"") + resource + "\"\n");
        ASSERT_TRUE(p.has_value()) << resource << ": " << p.error().message;
        EXPECT_EQ(p->resource, resource);
    }
}

TEST(ProviderConfig, ResourceWithFragmentOrRelativeIsRefusedNamingKeyAndValue) {
    auto p = parse("issuer = \"https://i\"\nclient_id = \"c\"\nresource = \"https://api.example/#x\"\n");
    ASSERT_FALSE(p.has_value());
    EXPECT_EQ(p.error().message,
              "p.toml:3: providers.x.resource: not an absolute URI without a fragment (RFC 8707): "
              "\"https://api.example/#x\"");
    EXPECT_FALSE(parse("issuer = \"https://i\"\nclient_id = \"c\"\nresource = \"/api\"\n").has_value());
}

TEST(ProviderConfig, PlainHttpToLoopbackIsAllowed) {
    for (const char* issuer : {"http://127.0.0.1:8080", "http://localhost:1", "http://[::1]:9"}) {
        auto p = parse(std::string("issuer = \"") + issuer + "\"\nclient_id = \"c\"\n");
        EXPECT_TRUE(p.has_value()) << issuer << ": " << p.error().message;
    }
}

TEST(ProviderConfig, OutOfRangeTimeoutIsRefused) {
    auto p = parse("issuer = \"https://i\"\nclient_id = \"c\"\nretry_deadline_seconds = 0\n");
    ASSERT_FALSE(p.has_value());
    EXPECT_NE(p.error().message.find("providers.x.retry_deadline_seconds"), std::string::npos) << p.error().message;
}

TEST(ProviderConfig, SecretFileReadableByOthersOrMissingIsRefusedAtLoad) {
    TempDir dir;
    const std::string secret = dir.write("open.secret", "s3cret\n");
    ::chmod(secret.c_str(), 0640);
    auto p = parse("issuer = \"https://i\"\nclient_id = \"c\"\nclient_secret_file = \"" + secret + "\"\n");
    ASSERT_FALSE(p.has_value());
    EXPECT_EQ(p.error().message,
              "p.toml:3: providers.x.client_secret_file: readable by group or others: \"" + secret + "\"");
    auto missing = parse("issuer = \"https://i\"\nclient_id = \"c\"\nclient_secret_file = \"/nonexistent/x.secret\"\n");
    ASSERT_FALSE(missing.has_value());
    EXPECT_EQ(missing.error().message,
              "p.toml:3: providers.x.client_secret_file: not a readable file: \"/nonexistent/x.secret\"");
}

TEST(ProviderConfig, ClientSecretAuthWithoutFileIsRefused) {
    auto p = parse("issuer = \"https://i\"\nclient_id = \"c\"\nclient_auth = \"client_secret_post\"\n");
    ASSERT_FALSE(p.has_value());
    EXPECT_NE(p.error().message.find("needs client_secret_file"), std::string::npos);
}

TEST(ProviderConfig, UnknownClientAuthIsAnErrorNamingTheValue) {
    auto p = parse("issuer = \"https://i\"\nclient_id = \"c\"\nclient_auth = \"client_secret_jwt\"\n");
    ASSERT_FALSE(p.has_value());
    EXPECT_EQ(p.error().message,
              "p.toml:3: providers.x.client_auth: not one of none, client_secret_basic, client_secret_post: "
              "\"client_secret_jwt\"");
}

TEST(ProviderConfig, ClientAuthNamesAreTheOnesTheKeyReads) {
    EXPECT_STREQ(to_string(ClientAuth::none), "none");
    EXPECT_STREQ(to_string(ClientAuth::client_secret_basic), "client_secret_basic");
    EXPECT_STREQ(to_string(ClientAuth::client_secret_post), "client_secret_post");
}

TEST(ProviderConfig, KeepAliveIsOffByDefault) {
    auto p = parse("issuer = \"https://i\"\nclient_id = \"c\"\n");
    ASSERT_TRUE(p.has_value()) << p.error().message;
    EXPECT_EQ(p->keep_alive.count(), 0);
}

TEST(ProviderConfig, KeepAliveDaysTakeWholeAndFractionalDays) {
    auto week = parse("issuer = \"https://i\"\nclient_id = \"c\"\nkeep_alive_days = 7\n");
    ASSERT_TRUE(week.has_value()) << week.error().message;
    EXPECT_EQ(week->keep_alive.count(), 7 * 86400);
    auto half = parse("issuer = \"https://i\"\nclient_id = \"c\"\nkeep_alive_days = 0.5\n");
    ASSERT_TRUE(half.has_value()) << half.error().message;
    EXPECT_EQ(half->keep_alive.count(), 43200);
    auto seconds = parse("issuer = \"https://i\"\nclient_id = \"c\"\nkeep_alive_days = 0.0002\n");
    ASSERT_TRUE(seconds.has_value()) << seconds.error().message;
    EXPECT_EQ(seconds->keep_alive.count(), 17);  // 17.28 s, rounded
    auto tiny = parse("issuer = \"https://i\"\nclient_id = \"c\"\nkeep_alive_days = 1e-9\n");
    ASSERT_TRUE(tiny.has_value()) << tiny.error().message;
    EXPECT_EQ(tiny->keep_alive.count(), 1) << "a period set is at least a second";
}

TEST(ProviderConfig, KeepAliveDaysOutOfRangeOrNotANumberAreRefused) {
    auto negative = parse("issuer = \"https://i\"\nclient_id = \"c\"\nkeep_alive_days = -1\n");
    ASSERT_FALSE(negative.has_value());
    EXPECT_EQ(negative.error().message, "p.toml:3: providers.x.keep_alive_days: must be between 0 and 3650: -1");
    auto nan = parse("issuer = \"https://i\"\nclient_id = \"c\"\nkeep_alive_days = nan\n");
    ASSERT_FALSE(nan.has_value());
    EXPECT_EQ(nan.error().message, "p.toml:3: providers.x.keep_alive_days: must be between 0 and 3650: nan");
    auto text = parse("issuer = \"https://i\"\nclient_id = \"c\"\nkeep_alive_days = \"7\"\n");
    ASSERT_FALSE(text.has_value());
    EXPECT_EQ(text.error().message, "p.toml:3: providers.x.keep_alive_days: must be a number");
}

}  // namespace
}  // namespace credctl::config
