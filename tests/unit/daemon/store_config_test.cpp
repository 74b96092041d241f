// The [store] table of credctl.toml(5): map cap and key generation.
#include "daemon/config/daemon_config.hpp"

#include "temp_dir.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <vector>

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

TEST(StoreConfig, TheBackendIsLmdbUnlessEtcdIsChosen) {
    TempDir dir;
    auto c = load_daemon_config(dir.write("credd.toml", "[store.etcd]\nendpoints = [\"http://127.0.0.1:2379\"]\n"));
    ASSERT_TRUE(c.has_value()) << c.error().message;
    EXPECT_EQ(c->store.backend, StoreBackend::lmdb);
    EXPECT_EQ(c->store.etcd.prefix, "/credd/");
    EXPECT_EQ(c->store.etcd.lease_seconds, 10);
    EXPECT_EQ(c->store.etcd.request_timeout, std::chrono::seconds(5));
}

TEST(StoreConfig, ReadsTheEtcdTable) {
    TempDir dir;
    auto c = load_daemon_config(dir.write("credd.toml", R"([store]
backend = "etcd"
[store.etcd]
endpoints = ["https://10.0.0.1:2379", "https://10.0.0.2:2379"]
prefix = "/fleet/"
lease_seconds = 30
request_timeout_seconds = 2
ca_file = "/etc/credctl/etcd-ca.pem"
cert_file = "/etc/credctl/etcd-client.pem"
key_file = "/etc/credctl/etcd-client.key"
)"));
    ASSERT_TRUE(c.has_value()) << c.error().message;
    EXPECT_EQ(c->store.backend, StoreBackend::etcd);
    EXPECT_EQ(c->store.etcd.endpoints, (std::vector<std::string>{"https://10.0.0.1:2379", "https://10.0.0.2:2379"}));
    EXPECT_EQ(c->store.etcd.prefix, "/fleet/");
    EXPECT_EQ(c->store.etcd.lease_seconds, 30);
    EXPECT_EQ(c->store.etcd.request_timeout, std::chrono::seconds(2));
    EXPECT_EQ(c->store.etcd.ca_file, "/etc/credctl/etcd-ca.pem");
    EXPECT_EQ(c->store.etcd.cert_file, "/etc/credctl/etcd-client.pem");
    EXPECT_EQ(c->store.etcd.key_file, "/etc/credctl/etcd-client.key");
}

TEST(StoreConfig, EtcdErrorsNameTheKeyAndValue) {
    TempDir dir;
    const auto error_of = [&](const std::string& text) {
        auto c = load_daemon_config(dir.write("c.toml", text));
        return c ? std::string("accepted") : c.error().message;
    };
    EXPECT_EQ(error_of("[store]\nbackend = \"redis\"\n"),
              "c.toml:2: store.backend: must be \"lmdb\" or \"etcd\": \"redis\"");
    EXPECT_EQ(error_of("[store]\nbackend = \"etcd\"\n"),
              "c.toml:2: store.backend: \"etcd\" needs [store.etcd] endpoints");
    EXPECT_NE(error_of("[store.etcd]\nlease_seconds = 1\n").find("c.toml:2: store.etcd.lease_seconds"),
              std::string::npos);
    EXPECT_EQ(error_of("[store.etcd]\ncert_file = \"/c.pem\"\n"),
              "c.toml:2: store.etcd.cert_file: cert_file and key_file go together; only one is set");
    EXPECT_NE(error_of("[store.etcd]\nendpoint = []\n").find("store.etcd.endpoint"), std::string::npos);
}

}  // namespace
}  // namespace credctl::daemon
