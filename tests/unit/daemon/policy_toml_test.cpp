#include "daemon/config/policy_toml.hpp"

#include "support/policy_fixture.hpp"

#include <gtest/gtest.h>

#include <string>

namespace credctl::policy {
namespace {

std::string error_of(const std::string& text) {
    auto p = test::parse_policy_text(text);
    return p ? "(parsed)" : p.error().message;
}

const std::string k_role = "[roles.r]\npermissions = [\"credentials:token\"]\n";

std::string grant(const std::string& body) {
    return k_role + "[[grants]]\n" + body;
}

TEST(PolicyToml, EmptyConfigIsOwnerRuleOnlyWithTheDaemonUid) {
    auto p = test::parse_policy_text("", 321);
    ASSERT_TRUE(p);
    EXPECT_TRUE(p->owner_access);
    EXPECT_EQ(p->daemon_uid, 321U);
    EXPECT_TRUE(p->grants.empty());
}

// Roles written with TOML's dotted keys, the other spelling of a table.
TEST(PolicyToml, GrantCarriesRolesPermissionsResourcesAndClients) {
    auto p = test::parse_policy_text(R"(
[roles]
reader.permissions = ["credentials:token", "credentials:read"]
deleter.permissions = ["credentials:delete"]
[[grants]]
name = "g"
roles = ["reader", "deleter"]
resources = ["credentials/alice/github"]
clients = [{ user = "root", group = "daemon", uid = 0, gid = 1, exe = "/bin/true", systemd_unit = "a.service" }]
)");
    ASSERT_TRUE(p) << p.error().message;
    ASSERT_EQ(p->grants.size(), 1U);
    const Grant& g = p->grants[0];
    EXPECT_EQ(g.permissions, bit(Permission::token) | bit(Permission::read) | bit(Permission::remove));
    ASSERT_EQ(g.clients.size(), 1U);
    EXPECT_EQ(g.clients[0].group, gid_t{1});
    EXPECT_EQ(g.clients[0].user, "root");
    EXPECT_EQ(g.clients[0].exe, "/bin/true");
    EXPECT_EQ(g.clients[0].systemd_unit, "a.service");
}

TEST(PolicyToml, ErrorsNameFileLineKeyAndValue) {
    struct Case {
        std::string text;
        std::string error;
    };
    const std::vector<Case> cases = {
        {"[roles.r]\npermissions = [\"credentials:write\"]\n",
         "credd.toml:2: roles.r.permissions: unknown permission: \"credentials:write\""},
        {"[roles.r]\npermissions = []\n", "credd.toml:2: roles.r.permissions: a role needs at least one permission"},
        {"[roles.r]\nperms = [\"credentials:token\"]\n", "credd.toml:2: roles.r.perms: unknown key"},
        {grant("roles = [\"r\"]\nresources = [\"credentials/a/b\"]\nclients = [{ uid = 1 }]\n"),
         "credd.toml:3: grants[0].name: every grant needs a name (it is written to the audit log)"},
        {grant("name = \"g\"\nroles = [\"nope\"]\nresources = [\"credentials/a/b\"]\nclients = [{ uid = 1 }]\n"),
         "credd.toml:5: grants[0].roles: no such role: \"nope\""},
        {grant("name = \"g\"\nroles = [\"r\"]\nresources = [\"credentials/a\"]\nclients = [{ uid = 1 }]\n"),
         "credd.toml:6: grants[0].resources: not credentials/USER/PROVIDER (with * wildcards) or metrics: "
         "\"credentials/a\""},
        {grant("name = \"g\"\nroles = [\"r\"]\nresources = [\"credentials/a/b\"]\nclients = []\n"),
         "credd.toml:7: grants[0].clients: a grant needs a non-empty array of clients"},
        {grant("name = \"g\"\nroles = [\"r\"]\nresources = [\"credentials/a/b\"]\nclients = [{}]\n"),
         "credd.toml:7: grants[0].clients: client 0 has no fields"},
        {grant("name = \"g\"\nroles = [\"r\"]\nresources = [\"credentials/a/b\"]\nclients = [{ uid = 1 }, { exe = "
               "\"sync\" }]\n"),
         "credd.toml:7: grants[0].clients[1].exe: not an absolute path: \"sync\""},
        {grant("name = \"g\"\nroles = [\"r\"]\nresources = [\"credentials/a/b\"]\nclients = [{ user = "
               "\"no-such-user-x\" }]\n"),
         "credd.toml:7: grants[0].clients[0].user: no such user: \"no-such-user-x\""},
        {grant("name = \"g\"\nroles = [\"r\"]\nresources = [\"credentials/a/b\"]\nclients = [{ group = "
               "\"no-such-group-x\" }]\n"),
         "credd.toml:7: grants[0].clients[0].group: no such group: \"no-such-group-x\""},
        {grant("name = \"g\"\nroles = [\"r\"]\nresources = [\"credentials/a/b\"]\nclients = [{ exe_sha256 = \"ABC\" "
               "}]\n"),
         "credd.toml:7: grants[0].clients[0].exe_sha256: not 64 lowercase hex digits: \"ABC\""},
        {grant("name = \"g\"\nroles = [\"r\"]\nresources = [\"credentials/a/b\"]\nclients = [{ systemd_unit = \"x/y\" "
               "}]\n"),
         "credd.toml:7: grants[0].clients[0].systemd_unit: not the name of a service, scope or socket unit: \"x/y\""},
        {grant("name = \"g\"\nroles = [\"r\"]\nresources = [\"credentials/a/b\"]\nclients = [{ systemd_unit = "
               "\"batch.slice\" }]\n"),
         "credd.toml:7: grants[0].clients[0].systemd_unit: not the name of a service, scope or socket unit: "
         "\"batch.slice\""},
        {grant("name = \"g\"\nroles = [\"r\"]\nresources = [\"credentials/a/b\"]\nclients = [{ systemd_unit = "
               "\"nightly sync.service\" }]\n"),
         "credd.toml:7: grants[0].clients[0].systemd_unit: not the name of a service, scope or socket unit: "
         "\"nightly sync.service\""},
        {grant("name = \"g\"\nroles = [\"r\"]\nresources = [\"credentials/a/b\"]\nclients = [{ uid = -1 }]\n"),
         "credd.toml:7: grants[0].clients[0].uid: must be between 0 and 4294967294: -1"},
        {grant("name = \"g\"\nroles = [\"r\"]\nresources = [\"credentials/a/b\"]\nclients = [{ pid = 1 }]\n"),
         "credd.toml:7: grants[0].clients[0].pid: unknown key"},
        {grant(
             "name = \"g\"\nroles = [\"r\"]\nresources = [\"credentials/a/b\"]\nclients = [{ uid = 1 }]\n"
             "[[grants]]\nname = \"g\"\nroles = [\"r\"]\nresources = [\"credentials/a/b\"]\nclients = [{ uid = 1 }]\n"),
         "credd.toml:9: grants[1].name: duplicate grant name: \"g\""},
        {"grants = 3\n", "credd.toml:1: grants: must be an array of tables ([[grants]])"},
    };
    for (const auto& c : cases) EXPECT_EQ(error_of(c.text), c.error) << c.text;
}

}  // namespace
}  // namespace credctl::policy
