#include "daemon/config/daemon_config.hpp"

#include "common/config/toml_fields.hpp"
#include "support/daemon_config_text.hpp"
#include "temp_dir.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include <unistd.h>

namespace credctl::daemon {
namespace {

using credctl::test::TempDir;

::testing::AssertionResult contains(const std::string& text, const std::string& part) {
    if (text.find(part) != std::string::npos) return ::testing::AssertionSuccess();
    return ::testing::AssertionFailure() << '"' << text << "\" does not contain \"" << part << '"';
}

using test::load_text;
using test::refusal;

struct Refusal {
    const char* what;
    std::string text;     // credd.toml
    std::string message;  // the whole error message
};

// Loading each text fails as bad_request with exactly its message.
void expect_refusals(const std::vector<Refusal>& cases) {
    for (const auto& c : cases) {
        const Error e = refusal(c.text);
        EXPECT_EQ(e.code, Errc::bad_request) << c.what;
        EXPECT_EQ(e.message, c.message) << c.what;
    }
}

constexpr const char* k_good = R"(socket = "/run/credd/credd.sock"
socket_mode = 0o666
state_dir = "/var/lib/credd"
key_file = "/etc/credd/master.key"
owner_access = true

[limits]
max_head_bytes = 4096
max_body_bytes = 32768
idle_timeout_seconds = 5
max_connections = 100
max_connections_per_uid = 10
provider_timeout_seconds = 20

[providers.demo]
issuer = "http://127.0.0.1:1"
client_id = "x"
scopes = ["openid", "email", "offline_access"]
)";

TEST(DaemonConfig, GoodFileLoadsEveryField) {
    auto c = load_text(k_good);
    ASSERT_TRUE(c.has_value()) << c.error().message;
    EXPECT_EQ(c->socket, "/run/credd/credd.sock");
    EXPECT_EQ(c->socket_mode, 0666u);
    EXPECT_EQ(c->state_dir, "/var/lib/credd");
    EXPECT_EQ(c->key_file, "/etc/credd/master.key");
    EXPECT_TRUE(c->policy.owner_access);
    EXPECT_EQ(c->limits.max_head_bytes, 4096u);
    EXPECT_EQ(c->limits.max_body_bytes, 32768u);
    EXPECT_EQ(c->limits.idle_timeout, std::chrono::seconds(5));
    EXPECT_EQ(c->limits.max_connections, 100u);
    EXPECT_EQ(c->limits.max_connections_per_uid, 10u);
    EXPECT_EQ(c->limits.provider_timeout, std::chrono::seconds(20));
    ASSERT_EQ(c->providers.size(), 1u);
    const ProviderConfig& p = c->providers[0];
    EXPECT_EQ(p.name, "demo");
    EXPECT_EQ(p.issuer, "http://127.0.0.1:1");
    EXPECT_EQ(p.client_id, "x");
    EXPECT_EQ(p.scopes, (std::vector<std::string>{"openid", "email", "offline_access"}));
    EXPECT_EQ(p.client_auth, ClientAuth::none);
}

TEST(DaemonConfig, EmptyFileGivesDefaults) {
    auto c = load_text("");
    ASSERT_TRUE(c.has_value()) << c.error().message;
    EXPECT_EQ(c->socket_mode, 0600u);
    EXPECT_TRUE(c->policy.owner_access);
    EXPECT_EQ(c->limits.max_body_bytes, 64u * 1024u);
    EXPECT_EQ(c->limits.idle_timeout, std::chrono::seconds(10));
    EXPECT_TRUE(c->providers.empty());
}

TEST(DaemonConfig, RefusesUnknownKeysNamingFileLineAndDottedKey) {
    expect_refusals({
        {"unknown key names file line and key", "socket = \"/run/x.sock\"\n\nsokcet_mode = 1\n",
         "credd.toml:3: sokcet_mode: unknown key"},
        {"unknown key in limits has dotted key", "[limits]\nmax_body_bytes = 2048\nmax_bdoy_bytes = 1\n",
         "credd.toml:3: limits.max_bdoy_bytes: unknown key"},
        {"unknown key in provider is an error",
         "[providers.demo]\nissuer = \"http://127.0.0.1:1\"\nclient_id = \"x\"\nscope = [\"a\"]\n",
         "credd.toml:4: providers.demo.scope: unknown key"},
        {"unknown audit key is an error", "[audit]\npath = \"/x\"\n", "credd.toml:2: audit.path: unknown key"},
    });
}

TEST(DaemonConfig, RefusesRelativePathsNamingTheValue) {
    expect_refusals({
        {"relative socket is not an absolute path", "socket = \"run/credd.sock\"\n",
         "credd.toml:1: socket: not an absolute path: \"run/credd.sock\""},
        {"relative state dir is not an absolute path", "\nstate_dir = \"var/lib\"\n",
         "credd.toml:2: state_dir: not an absolute path: \"var/lib\""},
        {"relative audit file is an error", "[audit]\nfile = \"audit.jsonl\"\n",
         "credd.toml:2: audit.file: not an absolute path: \"audit.jsonl\""},
    });
}

TEST(DaemonConfig, RefusesIncompleteOrInvalidProviders) {
    expect_refusals({
        {"provider without issuer or endpoints is an error", "[providers.demo]\nclient_id = \"x\"\n",
         "credd.toml:1: providers.demo.issuer: needs either issuer or both authorization_endpoint and token_endpoint"},
        {"provider with only authorization endpoint is an error",
         "[providers.demo]\nauthorization_endpoint = \"https://i/auth\"\nclient_id = \"x\"\n",
         "credd.toml:1: providers.demo.issuer: needs either issuer or both authorization_endpoint and token_endpoint"},
        {"provider without client id is an error", "[providers.demo]\nissuer = \"http://127.0.0.1:1\"\n",
         "credd.toml:1: providers.demo.client_id: is required"},
        {"non http issuer is an error", "[providers.demo]\nissuer = \"ftp://x\"\nclient_id = \"x\"\n",
         "credd.toml:2: providers.demo.issuer: not an http(s) URL: \"ftp://x\""},
        {"invalid provider name is an error",
         "[providers.\".hidden\"]\nissuer = \"http://127.0.0.1:1\"\nclient_id = \"x\"\n",
         "credd.toml:1: providers..hidden: not a valid provider name"},
        {"two default providers are an error",
         "[providers.a]\nissuer = \"https://a\"\nclient_id = \"x\"\ndefault = true\n"
         "[providers.b]\nissuer = \"https://b\"\nclient_id = \"x\"\ndefault = true\n",
         "credd.toml:5: providers.b: is marked default, and so is a; at most one may be"},
    });
}

TEST(DaemonConfig, RefusesValuesOutOfRangeOrOfTheWrongType) {
    expect_refusals({
        {"max body bytes too small is an error", "[limits]\nmax_body_bytes = 5\n",
         "credd.toml:2: limits.max_body_bytes: must be between 1024 and 16777216: 5"},
        {"max body bytes too large is an error", "[limits]\nmax_body_bytes = 1073741824\n",
         "credd.toml:2: limits.max_body_bytes: must be between 1024 and 16777216: 1073741824"},
        {"wrong type is an error", "[limits]\nmax_body_bytes = \"big\"\n",
         "credd.toml:2: limits.max_body_bytes: must be an integer"},
        {"socket mode other than 600 or 666 is an error", "socket_mode = 0o644\n",
         "credd.toml:1: socket_mode: must be 0o600 or 0o666"},
        {"audit cap below four kilobytes is an error", "[audit]\nmax_file_bytes = 100\n",
         "credd.toml:2: audit.max_file_bytes: must be 0 (no cap) or at least 4096: 100"},
        {"audit keep files zero is an error", "[audit]\nkeep_files = 0\n",
         "credd.toml:2: audit.keep_files: must be between 1 and 1000: 0"},
    });
}

TEST(DaemonConfig, ProviderWithExplicitEndpointsLoads) {
    auto c = load_text(
        "[providers.gh]\nauthorization_endpoint = \"https://i/auth\"\n"
        "token_endpoint = \"https://i/token\"\nclient_id = \"x\"\n");
    ASSERT_TRUE(c.has_value()) << c.error().message;
    ASSERT_EQ(c->providers.size(), 1u);
    EXPECT_EQ(c->providers[0].issuer, "");
    EXPECT_EQ(c->providers[0].token_endpoint, "https://i/token");
}

TEST(DaemonConfig, OwnerAccessFalseIsRead) {
    auto c = load_text("owner_access = false\n");
    ASSERT_TRUE(c.has_value()) << c.error().message;
    EXPECT_FALSE(c->policy.owner_access);
}

TEST(DaemonConfig, TomlSyntaxErrorNamesTheFile) {
    const Error e = refusal("socket = \n");
    EXPECT_TRUE(contains(e.message, "credd.toml"));
}

TEST(DaemonConfig, MissingFileIsAnError) {
    TempDir dir;
    EXPECT_FALSE(load_daemon_config(dir.file("absent.toml")).has_value());
}

TEST(TomlFields, IntegerOutOfRangeNamesKeyRangeAndValue) {
    auto t = toml::parse("[limits]\nn = -1\n");
    const auto& limits = *t["limits"].as_table();
    config::Fields f(limits, "x.toml", "limits");
    auto v = f.integer("n", 0, 10);
    ASSERT_FALSE(v.has_value());
    EXPECT_EQ(v.error().message, "x.toml:2: limits.n: must be between 0 and 10: -1");
}

TEST(TomlFields, AbsentKeysAreNullopt) {
    auto t = toml::parse("a = 1\n");
    config::Fields f(t, "x.toml", "");
    auto s = f.string("missing");
    ASSERT_TRUE(s.has_value());
    EXPECT_FALSE(s->has_value());
    auto b = f.boolean("missing");
    ASSERT_TRUE(b.has_value());
    EXPECT_FALSE(b->has_value());
}

TEST(DaemonConfig, AuditFileRolesAndGrantsAreRead) {
    auto c = load_text(R"(
[audit]
file = "/var/log/credd/audit.jsonl"
[roles.reader]
permissions = ["credentials:token"]
[[grants]]
name = "g"
roles = ["reader"]
resources = ["credentials/alice/github"]
clients = [{ user = "root" }]
)");
    ASSERT_TRUE(c) << c.error().message;
    EXPECT_EQ(c->audit_file, "/var/log/credd/audit.jsonl");
    ASSERT_EQ(c->policy.grants.size(), 1U);
    EXPECT_EQ(c->policy.grants[0].name, "g");
    EXPECT_EQ(c->policy.daemon_uid, ::geteuid());
}

TEST(DaemonConfig, DefaultsHaveTheOwnerRuleAndTheDaemonUid) {
    auto c = default_user_config();
    ASSERT_TRUE(c);
    EXPECT_TRUE(c->policy.owner_access);
    EXPECT_EQ(c->policy.daemon_uid, ::geteuid());
    EXPECT_EQ(c->audit_file, "");
}

TEST(DaemonConfig, GrantErrorsComeThroughWithFileAndLine) {
    const Error e = refusal("[[grants]]\nname = \"g\"\nroles = [\"nope\"]\n");
    EXPECT_EQ(e.message, "credd.toml:3: grants[0].roles: no such role: \"nope\"");
}

TEST(DaemonConfig, AuditCapRotationAndDenialLimitAreRead) {
    auto c = load_text(R"(
[audit]
file = "/var/log/credd/audit.jsonl"
max_file_bytes = 1048576
keep_files = 7
denial_burst = 5
denials_per_second = 3
)");
    ASSERT_TRUE(c) << c.error().message;
    EXPECT_EQ(c->audit.max_file_bytes, 1048576U);
    EXPECT_EQ(c->audit.keep_files, 7U);
    EXPECT_EQ(c->audit.denials.burst, 5U);
    EXPECT_EQ(c->audit.denials.per_second, 3U);
}

TEST(DaemonConfig, AuditDefaultsCapTheFileAndLimitDenials) {
    auto c = default_user_config();
    ASSERT_TRUE(c);
    EXPECT_EQ(c->audit.max_file_bytes, 64U << 20);
    EXPECT_EQ(c->audit.keep_files, 4U);
    EXPECT_EQ(c->audit.denials.burst, 20U);
    EXPECT_EQ(c->audit.denials.per_second, 2U);
    EXPECT_EQ(c->audit.allows.burst, 2000U);
    EXPECT_EQ(c->audit.allows.per_second, 20U);
}

TEST(DaemonConfig, AllowLimitIsReadAndZeroTurnsItOffButNotItsRate) {
    auto c = load_text("[audit]\nallow_burst = 0\nallows_per_second = 7\n");
    ASSERT_TRUE(c) << c.error().message;
    EXPECT_EQ(c->audit.allows.burst, 0U);
    EXPECT_EQ(c->audit.allows.per_second, 7U);
    EXPECT_FALSE(load_text("[audit]\nallows_per_second = 0\n"));
    EXPECT_FALSE(load_text("[audit]\ndenial_burst = 0\n"));
}

TEST(DaemonConfig, AuditCapZeroTurnsRotationOff) {
    auto c = load_text("[audit]\nmax_file_bytes = 0\n");
    ASSERT_TRUE(c) << c.error().message;
    EXPECT_EQ(c->audit.max_file_bytes, 0U);
}

TEST(DaemonConfig, PathHoldingANulIsRefused) {
    // The system would cut the path at the NUL: credd would use another
    // directory than the one the file names.
    TempDir dir;
    auto c = load_daemon_config(dir.write("credd.toml", "state_dir = \"/var/lib/credd\\u0000/x\"\n"));
    ASSERT_FALSE(c.has_value());
    EXPECT_EQ(c.error().message, "credd.toml:1: state_dir: holds a NUL byte: \"/var/lib/credd\\u0000...\"");
}

}  // namespace
}  // namespace credctl::daemon
