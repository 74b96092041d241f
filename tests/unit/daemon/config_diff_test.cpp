#include "daemon/config/config_diff.hpp"

#include "daemon/config/daemon_config.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace credctl::daemon {
namespace {

DaemonConfig with_provider() {
    DaemonConfig c;
    ProviderConfig p;
    p.name = "demo";
    p.issuer = "https://a";
    c.providers.push_back(p);
    return c;
}

// What diff_config reports from with_provider() to `changed`, in order.
std::vector<std::string> described_changes(const DaemonConfig& changed) {
    std::vector<std::string> out;
    for (const auto& change : diff_config(with_provider(), changed)) out.push_back(describe(change));
    return out;
}

TEST(ConfigDiff, SameConfigHasNoChanges) {
    EXPECT_TRUE(diff_config(with_provider(), with_provider()).empty());
}

TEST(ConfigDiff, ChangedLimitIsReportedWithOldAndNewValue) {
    auto b = with_provider();
    b.limits.idle_timeout = std::chrono::seconds(20);
    const auto changes = diff_config(with_provider(), b);
    ASSERT_EQ(changes.size(), 1u);
    EXPECT_EQ(describe(changes[0]), "limits.idle_timeout_seconds 10 \u2192 20");
    EXPECT_EQ(changes[0].reload, Reload::needs_restart);
}

TEST(ConfigDiff, ChangedProviderSettingIsReportedNotOnlyTheCount) {
    auto b = with_provider();
    b.providers[0].issuer = "https://b";
    EXPECT_EQ(described_changes(b),
              std::vector<std::string>{"providers.demo.issuer \"https://a\" \u2192 \"https://b\""});
}

TEST(ConfigDiff, RenamedProviderIsOneRemovedAndOneAdded) {
    auto b = with_provider();
    b.providers[0].name = "other";
    EXPECT_EQ(described_changes(b), (std::vector<std::string>{"providers.demo (configured) \u2192 (none)",
                                                              "providers.other (none) \u2192 (configured)"}));
}

TEST(ConfigDiff, AuditAndPolicyChangesMayBeReloaded) {
    auto a = with_provider();
    auto b = a;
    b.audit.keep_files = 7;
    b.policy.owner_access = false;
    auto changes = reloadable_changes(a, b);
    ASSERT_TRUE(changes.has_value()) << changes.error().message;
    ASSERT_EQ(changes->size(), 2u);
    EXPECT_EQ(describe((*changes)[0]), "owner_access true \u2192 false");
    EXPECT_EQ(describe((*changes)[1]), "audit.keep_files 4 \u2192 7");
}

TEST(ConfigDiff, RestartOnlyChangeRefusesTheReloadNamingEachKey) {
    auto a = with_provider();
    auto b = a;
    b.audit.keep_files = 7;
    b.socket_mode = 0666;
    b.limits.max_connections = 10;
    auto changes = reloadable_changes(a, b);
    ASSERT_FALSE(changes.has_value());
    EXPECT_EQ(changes.error().message,
              "needs a restart: socket_mode 0o600 \u2192 0o666; limits.max_connections 1024 \u2192 10");
}

}  // namespace
}  // namespace credctl::daemon
