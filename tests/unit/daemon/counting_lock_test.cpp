// CountingStore over a fleet store (a real EtcdStore on a real etcd): the
// calls of the refresh lock are counted by operation like the store's own,
// and a refused one as a failure.
#include "daemon/metrics/counting_store.hpp"
#include "daemon/metrics/daemon_metrics.hpp"
#include "daemon/store/etcd_store.hpp"
#include "support/capture.hpp"
#include "support/etcd_fixture.hpp"

#include <gtest/gtest.h>

#include <string>

namespace credctl::metrics {
namespace {

using test::has_line;

class CountingLockTest : public test::EtcdFixture {};

TEST_F(CountingLockTest, EveryCallOfTheRefreshLockIsCountedAndARefusedCommitIsAFailure) {
    auto a = host();
    auto b = host();
    ASSERT_TRUE(a && b);
    DaemonMetrics m;
    CountingStore counted(*a, m);
    store::RefreshLock* lock = counted.refresh_lock();
    ASSERT_EQ(lock, &counted) << "the lock's calls go through the counter";
    EXPECT_EQ(lock->lease(), a->lease());

    auto rec = test::record_tagged("1");
    ASSERT_TRUE(counted.put(alice_, rec, SecretBytes::from("RT-1")));
    ASSERT_TRUE(counted.get(alice_));
    auto pending = test::record_tagged("1");
    pending.state = store::CredentialState::refresh_pending;
    auto marked = lock->lock_and_mark(alice_, pending);
    ASSERT_TRUE(marked) << marked.error().message;
    EXPECT_EQ(marked->outcome, store::MarkResult::Outcome::marked);
    EXPECT_TRUE(*lock->keep_alive(alice_));
    EXPECT_TRUE(*lock->locked(alice_));
    ASSERT_TRUE(lock->commit_and_unlock(alice_, rec, nullptr));
    EXPECT_FALSE(lock->commit_and_unlock(alice_, rec, nullptr)) << "no lock held any more: refused";
    auto seen = lock->look(alice_);
    ASSERT_TRUE(seen);
    EXPECT_FALSE(seen->held);
    lock->unlock(alice_);
    EXPECT_TRUE(*b->try_lock(alice_));
    auto taken = lock->lock_and_mark(alice_, pending);
    ASSERT_TRUE(taken);
    EXPECT_EQ(taken->outcome, store::MarkResult::Outcome::held) << "held elsewhere: an answer, not a failure";

    const std::string text = m.render({});
    for (const auto& [op, n] : {std::pair{"lock_and_mark", 2},
                                {"keep_alive", 1},
                                {"locked", 1},
                                {"commit_and_unlock", 2},
                                {"look", 1},
                                {"unlock", 1}}) {
        EXPECT_TRUE(
            has_line(text, "credd_store_operations_total{operation=\"" + std::string(op) + "\"} " + std::to_string(n)))
            << op << "\n"
            << text;
    }
    EXPECT_TRUE(has_line(text, "credd_store_failures_total{operation=\"commit_and_unlock\"} 1")) << text;
    EXPECT_TRUE(has_line(text, "credd_store_failures_total{operation=\"lock_and_mark\"} 0")) << text;
}

}  // namespace
}  // namespace credctl::metrics
