// credctl admin on the etcd backend (daemon/store/etcd_maintenance.hpp)
// against a real single-member etcd: check names what does not open, a
// backup is an LMDB file that restores into LMDB, an LMDB backup restores
// into etcd without overwriting a newer record, status names the data keys.
#include "daemon/store/etcd_maintenance.hpp"
#include "daemon/store/lmdb_store.hpp"
#include "daemon/store/transfer.hpp"

#include "etcd_process.hpp"
#include "support/check_report.hpp"
#include "support/sample_record.hpp"
#include "support/store_open.hpp"
#include "temp_dir.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <memory>
#include <string>

namespace credctl::store {
namespace {

using credctl::test::EtcdProcess;
using credctl::test::TempDir;
using test::key_of;
using test::record_version;
using test::refresh_of;

class EtcdMaintenanceTest : public ::testing::Test {
protected:
    void SetUp() override {
        ASSERT_TRUE(etcd_.ready()) << "etcd did not start";
        auto st = EtcdStore::open(etcd_.client(), "/credd/", Sealer(key_of(1)));
        ASSERT_TRUE(st) << st.error().message;
        store_ = std::move(*st);
        admin_ = std::make_unique<EtcdMaintenance>(*store_, Sealer(key_of(1)), dir_.path().string());
    }

    TempDir dir_;
    EtcdProcess etcd_{dir_.file("etcd")};
    std::unique_ptr<EtcdStore> store_;
    std::unique_ptr<EtcdMaintenance> admin_;
    const CredentialKey alice_{"alice", "github"};
    const CredentialKey bob_{"bob", "github"};
};

TEST_F(EtcdMaintenanceTest, CheckOpensEveryRecordAndNamesAMovedOne) {
    ASSERT_TRUE(store_->put(alice_, record_version("a", 10, 1), SecretBytes::from("RT-a")));
    auto c = etcd_.client();
    auto value = c->get(store_->etcd_key(alice_));
    ASSERT_TRUE(value && *value);
    ASSERT_TRUE(c->put_if(store_->etcd_key(bob_), (*value)->value, 0));  // alice's value under bob's key
    auto report = admin_->check();
    ASSERT_TRUE(report) << report.error().message;
    test::expect_one_unopened(*report, 2, "bob");
}

TEST_F(EtcdMaintenanceTest, ABackupRestoresIntoLmdbWithEveryToken) {
    ASSERT_TRUE(store_->put(alice_, record_version("a", 10, 1), SecretBytes::from("RT-a")));
    ASSERT_TRUE(store_->put(bob_, record_version("b", 12, 0), SecretBytes::from("RT-b")));
    const std::string file = dir_.file("fleet.backup");
    auto bytes = admin_->backup(file);
    ASSERT_TRUE(bytes) << bytes.error().message;
    auto lmdb = test::open_small_lmdb(dir_, "restored");
    auto report = lmdb->restore(file);
    ASSERT_TRUE(report) << report.error().message;
    EXPECT_EQ(report->moved, 2u);
    EXPECT_EQ(refresh_of(*lmdb, alice_), "RT-a");
    EXPECT_EQ(refresh_of(*lmdb, bob_), "RT-b");
    auto got = lmdb->get(bob_);
    ASSERT_TRUE(got && *got);
    EXPECT_EQ((*got)->access_token.reveal(), "AT-b");
    EXPECT_EQ((*got)->updated_at, 12);
}

TEST_F(EtcdMaintenanceTest, ABackupLargerThanOneBatchKeepsEveryRecord) {
    constexpr int n = 205;  // more than one batch of 200 written into the backup
    for (int i = 0; i < n; ++i) {
        const std::string tag = std::to_string(i);
        ASSERT_TRUE(store_->put({"u" + tag, "p"}, record_version(tag, 10, 0), SecretBytes::from("RT-" + tag)));
    }
    const std::string file = dir_.file("fleet.backup");
    ASSERT_TRUE(admin_->backup(file));
    auto lmdb = test::open_small_lmdb(dir_, "restored");
    auto report = lmdb->restore(file);
    ASSERT_TRUE(report) << report.error().message;
    EXPECT_EQ(report->moved, static_cast<std::uint64_t>(n));
    EXPECT_EQ(refresh_of(*lmdb, {"u0", "p"}), "RT-0");
    EXPECT_EQ(refresh_of(*lmdb, {"u204", "p"}), "RT-204");
}

TEST_F(EtcdMaintenanceTest, ABackupWithARecordThatDoesNotOpenIsRefusedByName) {
    ASSERT_TRUE(etcd_.client()->put_if("/credd/credentials/carol/github", "garbage", 0));
    const std::string file = dir_.file("fleet.backup");
    auto bytes = admin_->backup(file);
    ASSERT_FALSE(bytes);
    EXPECT_EQ(bytes.error().message,
              "no backup written: credential carol/github does not open (record is truncated); see credctl admin "
              "check");
    EXPECT_FALSE(std::filesystem::exists(file));
}

TEST_F(EtcdMaintenanceTest, AnLmdbBackupMigratesIntoEtcdAndNeverOverANewerRecord) {
    const std::string file = dir_.file("host.backup");
    {
        auto lmdb = test::open_small_lmdb(dir_, "host");
        ASSERT_TRUE(lmdb->put(alice_, record_version("a", 10, 1), SecretBytes::from("RT-a-lmdb")));
        ASSERT_TRUE(lmdb->put(bob_, record_version("b", 10, 1), SecretBytes::from("RT-b-lmdb")));
        ASSERT_TRUE(lmdb->backup(file));
    }
    ASSERT_TRUE(store_->put(bob_, record_version("b", 11, 0), SecretBytes::from("RT-b-fleet")));  // a later login
    auto report = admin_->restore(file);
    ASSERT_TRUE(report) << report.error().message;
    EXPECT_EQ(report->moved, 1u);
    EXPECT_EQ(report->refused, 1u);
    auto other_host = EtcdStore::open(etcd_.client(), "/credd/", Sealer(key_of(1)));
    ASSERT_TRUE(other_host);
    EXPECT_EQ(refresh_of(**other_host, alice_), "RT-a-lmdb");
    EXPECT_EQ(refresh_of(**other_host, bob_), "RT-b-fleet");
    auto again = admin_->restore(file);
    ASSERT_TRUE(again);
    EXPECT_EQ(again->skipped, 1u);
    EXPECT_EQ(again->refused, 1u);
    EXPECT_EQ(again->moved, 0u);
}

TEST_F(EtcdMaintenanceTest, StatusNamesTheCurrentDataKeyAndEveryOneStored) {
    auto info = admin_->info();
    ASSERT_TRUE(info) << info.error().message;
    EXPECT_EQ(info->current_key, 1u);
    EXPECT_EQ(info->keys, std::vector<std::uint32_t>{1});
    EXPECT_FALSE(admin_->rotating());
    ASSERT_TRUE(admin_->begin_rotation());
    info = admin_->info();
    ASSERT_TRUE(info);
    EXPECT_EQ(info->current_key, 2u);
    EXPECT_EQ(info->keys, (std::vector<std::uint32_t>{1, 2}));
    EXPECT_TRUE(admin_->rotating());
}

}  // namespace
}  // namespace credctl::store
