// The [store] table of credctl.toml(5): map cap and key generation.
#include "daemon/config/daemon_config.hpp"

#include "temp_dir.hpp"

#include <gtest/gtest.h>

namespace credctl::daemon {
namespace {

using credctl::test::TempDir;

TEST(StoreConfig, DefaultsAreA4GiBCapAndKeyGeneration) {
    TempDir dir;
    auto c = load_daemon_config(dir.write("credd.toml", "state_dir = \"/tmp/x\"\n"));
    ASSERT_TRUE(c.has_value()) << c.error().message;
    EXPECT_EQ(c->store.max_map_bytes, std::size_t{4} << 30);
    EXPECT_TRUE(c->store.generate_key);
}

TEST(StoreConfig, ReadsCapAndGenerateKey) {
    TempDir dir;
    auto c = load_daemon_config(dir.write("credd.toml", "[store]\nmax_map_bytes = 1048576\ngenerate_key = false\n"));
    ASSERT_TRUE(c.has_value()) << c.error().message;
    EXPECT_EQ(c->store.max_map_bytes, std::size_t{1} << 20);
    EXPECT_FALSE(c->store.generate_key);
}

TEST(StoreConfig, CapBelow1MiBAndUnknownKeysAreErrors) {
    TempDir dir;
    auto small = load_daemon_config(dir.write("a.toml", "[store]\nmax_map_bytes = 4096\n"));
    ASSERT_FALSE(small.has_value());
    EXPECT_NE(small.error().message.find("a.toml:2: store.max_map_bytes"), std::string::npos) << small.error().message;
    auto unknown = load_daemon_config(dir.write("b.toml", "[store]\nmap_bytes = 4096\n"));
    ASSERT_FALSE(unknown.has_value());
    EXPECT_NE(unknown.error().message.find("store.map_bytes"), std::string::npos) << unknown.error().message;
}

}  // namespace
}  // namespace credctl::daemon
