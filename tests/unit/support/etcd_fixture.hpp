// The fixture of the tests that run EtcdStore against a real single-member
// etcd (etcd_process.hpp) in a temporary directory. Each open_store() is an
// EtcdStore of its own on that etcd, standing for one host of a fleet: hosts
// opened with the same master key byte and prefix share the credentials.
#pragma once

#include "daemon/store/etcd_store.hpp"
#include "etcd_process.hpp"
#include "support/sample_record.hpp"
#include "temp_dir.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <string>

namespace credctl::test {

class EtcdFixture : public ::testing::Test {
protected:
    void SetUp() override { ASSERT_TRUE(etcd_.ready()) << "etcd did not start"; }

    // `key` fills the master key (key_of); `lease` is the refresh lock's.
    std::unique_ptr<store::EtcdStore> open_store(unsigned char key = 1, const std::string& prefix = "/credd/",
                                                 std::chrono::seconds lease = std::chrono::seconds(10)) {
        auto st = store::EtcdStore::open(etcd_.client(), prefix, store::Sealer(key_of(key)), lease);
        EXPECT_TRUE(st) << (st ? "" : st.error().message);
        return st ? std::move(*st) : nullptr;
    }

    TempDir dir_;
    EtcdProcess etcd_{dir_.file("etcd")};
    const store::CredentialKey alice_{"alice", "github"};
};

}  // namespace credctl::test
