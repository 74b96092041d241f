#include "daemon/config/config_keys.hpp"

#include "daemon/config/daemon_config.hpp"
#include "temp_dir.hpp"

#include <gtest/gtest.h>

#include <set>

namespace credctl::daemon {
namespace {

TEST(ConfigKeys, EveryRowHasADocLineAndIsUnique) {
    std::set<std::string> seen;
    for (const auto& k : config_keys()) {
        EXPECT_FALSE(k.doc.empty()) << k.key;
        EXPECT_TRUE(seen.insert(k.key).second) << k.key;
    }
}

TEST(ConfigKeys, IntegerRowsHaveBoundsAndScalarRowsAValue) {
    for (const auto& k : config_keys()) {
        if (k.type == KeyType::integer && k.key.rfind("grants.", 0) != 0) {
            EXPECT_LT(k.min, k.max) << k.key;
        }
        const bool shown = k.value != nullptr || k.provider_value != nullptr;
        const bool policy = k.key.rfind("grants.clients.", 0) == 0 || k.key.rfind("roles.", 0) == 0;
        EXPECT_EQ(shown, !policy) << k.key;
    }
}

TEST(ConfigKeys, ParserUsesTheRowsBounds) {
    const auto& row = config_key("limits.idle_timeout_seconds");
    test::TempDir dir;
    auto over = load_daemon_config(
        dir.write("credd.toml", "[limits]\nidle_timeout_seconds = " + std::to_string(row.max + 1) + "\n"));
    ASSERT_FALSE(over.has_value());
    EXPECT_NE(over.error().message.find("credd.toml:2: limits.idle_timeout_seconds:"), std::string::npos);
    auto at_max = load_daemon_config(
        dir.write("credd.toml", "[limits]\nidle_timeout_seconds = " + std::to_string(row.max) + "\n"));
    ASSERT_TRUE(at_max.has_value()) << at_max.error().message;
    EXPECT_EQ(row.value(*at_max), std::to_string(row.max));
}

TEST(ConfigKeys, ReloadAppliesPolicyAndAuditOnly) {
    for (const auto& k : config_keys()) {
        const bool reloadable = k.key == "owner_access" || k.key.rfind("audit.", 0) == 0 ||
                                k.key.rfind("grants.", 0) == 0 || k.key.rfind("roles.", 0) == 0;
        EXPECT_EQ(k.reload == Reload::applied, reloadable) << k.key;
    }
}

}  // namespace
}  // namespace credctl::daemon
