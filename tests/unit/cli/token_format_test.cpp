#include "cli/output/token_format.hpp"

#include <gtest/gtest.h>
#include <boost/json/parse.hpp>

#include <cstdint>
#include <ctime>
#include <vector>

namespace credctl::cli {
namespace {

TokenView sample() {
    TokenView t;
    t.access_token = "tok'en";
    t.expires_at = 1796000000;  // 2026-11-30T00:53:20Z
    t.scope = "openid";
    t.user = "alice";
    t.provider = "github";
    return t;
}

TEST(TokenFormat, EveryNameParsesBackToItsFormat) {
    for (const auto& n : token_format_names()) EXPECT_TRUE(parse_token_format(n)) << n;
    EXPECT_EQ(token_format_names().size(), 7U);
    auto bad = parse_token_format("yaml");
    ASSERT_FALSE(bad);
    EXPECT_EQ(bad.error().code, Errc::usage);
    EXPECT_EQ(bad.error().message, "unknown output format: \"yaml\"");
}

TEST(TokenFormat, RawIsTheTokenAndANewline) {
    EXPECT_EQ(format_token(TokenFormat::raw, sample()), "tok'en\n");
}

TEST(TokenFormat, EnvQuotesTheTokenForEval) {
    EXPECT_EQ(format_token(TokenFormat::env, sample()),
              "export CREDCTL_ACCESS_TOKEN='tok'\\''en'\nexport CREDCTL_TOKEN_TYPE='Bearer'\n"
              "export CREDCTL_EXPIRES_AT=1796000000\n");
}

TEST(TokenFormat, CredentialProcessIsVersionOneWithIsoExpiration) {
    const auto v = boost::json::parse(format_token(TokenFormat::credential_process, sample())).as_object();
    EXPECT_EQ(v.at("Version").as_int64(), 1);
    EXPECT_EQ(v.at("AccessKeyId").as_string(), "alice/github");
    EXPECT_EQ(v.at("SecretAccessKey").as_string(), "tok'en");
    EXPECT_EQ(v.at("Expiration").as_string(), "2026-11-30T00:53:20Z");
}

// rfc3339_utc computes the calendar itself (no time zone set-up): it agrees
// with gmtime_r and strftime across leap days, centuries and ends of day.
TEST(TokenFormat, Rfc3339AgreesWithGmtime) {
    std::vector<std::int64_t> times{0,         59,         86399,      86400,      951782400,
                                    951868799, 4107542399, 4107542400, 1796000000, 253402300799};
    for (std::int64_t t = 0; t < 4102444800; t += 7919 * 3607) times.push_back(t);
    for (const std::int64_t t : times) {
        const auto tt = static_cast<std::time_t>(t);
        std::tm tm{};
        ASSERT_NE(::gmtime_r(&tt, &tm), nullptr);
        char want[32];
        std::strftime(want, sizeof want, "%Y-%m-%dT%H:%M:%SZ", &tm);
        EXPECT_EQ(rfc3339_utc(t), want) << t;
    }
    EXPECT_EQ(rfc3339_utc(253402300800 * 2), "9999-12-31T23:59:59Z");
    EXPECT_EQ(rfc3339_utc(-1), "1970-01-01T00:00:00Z");
}

TEST(TokenFormat, ExecCredentialCarriesTokenAndExpiry) {
    const auto v = boost::json::parse(format_token(TokenFormat::exec_credential, sample())).as_object();
    EXPECT_EQ(v.at("apiVersion").as_string(), "client.authentication.k8s.io/v1");
    EXPECT_EQ(v.at("kind").as_string(), "ExecCredential");
    EXPECT_EQ(v.at("status").at("token").as_string(), "tok'en");
    EXPECT_EQ(v.at("status").at("expirationTimestamp").as_string(), "2026-11-30T00:53:20Z");
}

TEST(TokenFormat, GitCredentialAnswersUsernameAndPassword) {
    EXPECT_EQ(format_token(TokenFormat::git_credential, sample()),
              "username=oauth2\npassword=tok'en\npassword_expiry_utc=1796000000\n");
}

TEST(TokenFormat, TokensWithControlCharactersAreUnsafe) {
    EXPECT_TRUE(safe_token("eyJhbGciOi.J9-_~+/="));
    EXPECT_FALSE(safe_token(""));
    EXPECT_FALSE(safe_token("abc\r\nX-Evil: 1"));
    EXPECT_FALSE(safe_token("abc\npassword=x"));
    EXPECT_FALSE(safe_token(std::string_view("a\0b", 3)));
    EXPECT_FALSE(safe_token("a\x7f"));
}

TEST(TokenFormat, EnvNamesArePortableShellNames) {
    EXPECT_TRUE(valid_env_name("GITHUB_TOKEN"));
    EXPECT_TRUE(valid_env_name("_x1"));
    EXPECT_FALSE(valid_env_name(""));
    EXPECT_FALSE(valid_env_name("1X"));
    EXPECT_FALSE(valid_env_name("A-B"));
    EXPECT_FALSE(valid_env_name("A=B"));
}

}  // namespace
}  // namespace credctl::cli
