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
#include <functional>
#include <memory>
#include <string>
#include <thread>

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

    // One host of the fleet: a store on the etcd under /credd/, master key 1.
    std::unique_ptr<store::EtcdStore> host(std::chrono::seconds lease = std::chrono::seconds(10)) {
        return open_store(1, "/credd/", lease);
    }
    // Whether `done()` comes true within 20 s, asked every 200 ms: a lock of
    // 2 s whose holder stopped renewing has ended by then. etcd revokes an
    // expired lease from its leader's loop, which a machine busy with builds
    // and other tests delayed past 6 s.
    static bool within_a_short_lease(const std::function<bool()>& done) {
        const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(20);
        while (std::chrono::steady_clock::now() < until) {
            if (done()) return true;
            std::this_thread::sleep_for(std::chrono::milliseconds(200));
        }
        return false;
    }

    TempDir dir_;
    EtcdProcess etcd_{dir_.file("etcd")};
    const store::CredentialKey alice_{"alice", "github"};
};

}  // namespace credctl::test
