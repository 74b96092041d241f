#include "daemon/config/daemon_mode.hpp"
#include "daemon/config/config_keys.hpp"

#include "temp_dir.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>

namespace credctl::daemon {
namespace {

class DaemonMode : public ::testing::Test {
protected:
    void TearDown() override { ::unsetenv("CREDENTIALS_DIRECTORY"); }
    test::TempDir dir_;
};

TEST_F(DaemonMode, SystemModeDefaults) {
    auto c = mode_defaults(Mode::system);
    ASSERT_TRUE(c);
    EXPECT_EQ(c->socket, "/run/credd/credd.sock");
    EXPECT_EQ(c->socket_mode, 0666U);
    EXPECT_EQ(c->state_dir, "/var/lib/credd");
    EXPECT_EQ(default_config_file(Mode::system), "/etc/credctl/credd.toml");
}

TEST_F(DaemonMode, UserModeDefaultsFollowXdg) {
    ::setenv("XDG_CONFIG_HOME", "/xdg/config", 1);
    EXPECT_EQ(default_config_file(Mode::user), "/xdg/config/credctl/credd.toml");
    ::unsetenv("XDG_CONFIG_HOME");
    auto c = mode_defaults(Mode::user);
    ASSERT_TRUE(c);
    EXPECT_EQ(c->socket_mode, 0600U);
}

TEST_F(DaemonMode, AConfigFileOverridesTheModesDefaults) {
    std::ofstream(dir_.file("credd.toml")) << "state_dir = \"/srv/credd\"\n";
    auto c = load_config_for(Mode::system, dir_.file("credd.toml"));
    ASSERT_TRUE(c) << c.error().message;
    EXPECT_EQ(c->state_dir, "/srv/credd");
    EXPECT_EQ(c->socket, "/run/credd/credd.sock");
}

TEST_F(DaemonMode, SystemdCredentialComesBeforeKeyFile) {
    std::ofstream(dir_.file("credd.key")) << "k";
    ::setenv("CREDENTIALS_DIRECTORY", dir_.path().c_str(), 1);
    DaemonConfig c;
    c.key_file = "/etc/credctl/other.key";
    auto k = master_key_source(Mode::system, c);
    ASSERT_TRUE(k);
    EXPECT_EQ(k->path, dir_.file("credd.key"));
    EXPECT_EQ(k->origin, "systemd credential");
    EXPECT_FALSE(k->create_if_missing);
}

TEST_F(DaemonMode, KeyFileWhenNoCredential) {
    ::setenv("CREDENTIALS_DIRECTORY", dir_.path().c_str(), 1);  // holds no credd.key
    DaemonConfig c;
    c.key_file = "/etc/credctl/credd.key";
    auto k = master_key_source(Mode::system, c);
    ASSERT_TRUE(k);
    EXPECT_EQ(k->path, "/etc/credctl/credd.key");
    EXPECT_EQ(k->origin, "key_file");
}

TEST_F(DaemonMode, OnlyUserModeGeneratesAKey) {
    DaemonConfig c;
    c.state_dir = "/home/u/.local/state/credd";
    auto user = master_key_source(Mode::user, c);
    ASSERT_TRUE(user);
    EXPECT_EQ(user->path, "/home/u/.local/state/credd/master.key");
    EXPECT_TRUE(user->create_if_missing);
    auto system = master_key_source(Mode::system, c);
    ASSERT_FALSE(system);
    EXPECT_NE(system.error().message.find("LoadCredential=credd.key:/etc/credctl/credd.key"), std::string::npos);
}

TEST_F(DaemonMode, SystemModeRefusesAStateDirectoryOfAnotherUid) {
    DaemonConfig c;
    c.state_dir = dir_.path().string();
    EXPECT_TRUE(check_state_owner(Mode::system, c));  // ours
    c.state_dir = dir_.file("missing");
    EXPECT_TRUE(check_state_owner(Mode::system, c));  // credd creates it
    // Another uid's directory: one chowned to nobody as root, else "/".
    const std::string other = dir_.file("other");
    ASSERT_EQ(::mkdir(other.c_str(), 0700), 0);
    c.state_dir = ::geteuid() == 0 && ::chown(other.c_str(), 65534, 65534) == 0 ? other : "/";
    auto r = check_state_owner(Mode::system, c);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().message.rfind("state directory " + c.state_dir + " belongs to uid ", 0), 0U)
        << r.error().message;
    EXPECT_TRUE(check_state_owner(Mode::user, c));
}

TEST(ConfigKeys, KeysBelowATableAreItsDirectChildren) {
    const auto root = keys_below("");
    EXPECT_EQ(root,
              (std::vector<std::string_view>{"socket", "socket_mode", "state_dir", "key_file", "owner_access", "limits",
                                             "store", "audit", "roles", "grants", "notify", "providers"}));
    const auto limits = keys_below("limits");
    EXPECT_EQ(limits.size(), 8U);
    EXPECT_EQ(limits.front(), "max_head_bytes");
    const auto provider = keys_below("providers.NAME");
    EXPECT_NE(std::find(provider.begin(), provider.end(), "client_id"), provider.end());
    EXPECT_EQ(keys_below("grants"), (std::vector<std::string_view>{"name", "roles", "resources", "clients"}));
    EXPECT_EQ(keys_below("grants.clients").size(), 7U);
    EXPECT_TRUE(keys_below("nosuch").empty());
}

}  // namespace
}  // namespace credctl::daemon
