// EtcdStore's refresh lock (daemon/store/etcd_lock.cpp) against a real etcd:
// two stores stand for two hosts of a fleet.
#include "daemon/store/etcd_store.hpp"

#include "support/etcd_fixture.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <memory>

namespace credctl::store {
namespace {

using std::chrono::seconds;

class EtcdLockTest : public test::EtcdFixture {
protected:
    // Whether `store` takes alice's lock within a short lease's end.
    bool takes_lock_soon(EtcdStore& store) {
        return within_a_short_lease([&] { return *store.try_lock(alice_); });
    }
    // alice's credential stored by `h` (refresh token RT-1), and its lock
    // taken; returns the record stored.
    CredentialRecord stored_and_locked(EtcdStore& h) {
        CredentialRecord rec;
        rec.subject = "sub";
        EXPECT_TRUE(h.put(alice_, rec, SecretBytes::from("RT-1")));
        EXPECT_TRUE(*h.try_lock(alice_));
        return rec;
    }
};

TEST_F(EtcdLockTest, OneHostAtATimeHoldsTheLockOfACredential) {
    auto a = host();
    auto b = host();
    EXPECT_TRUE(*a->try_lock(alice_));
    EXPECT_TRUE(*a->try_lock(alice_)) << "the holder asking again still holds it";
    EXPECT_FALSE(*b->try_lock(alice_));
    EXPECT_TRUE(*b->locked(alice_));
    EXPECT_TRUE(*b->try_lock({"alice", "gitlab"})) << "another credential has its own lock";
    a->unlock(alice_);
    EXPECT_FALSE(*b->locked(alice_));
    EXPECT_TRUE(*b->try_lock(alice_));
}

TEST_F(EtcdLockTest, TheLockNamesItsHolderBelowThePrefix) {
    auto a = host();
    ASSERT_TRUE(*a->try_lock(alice_));
    auto kv = a->client().get("/credd/locks/alice/github");
    ASSERT_TRUE(kv && *kv);
    EXPECT_NE((*kv)->value.find(" pid " + std::to_string(::getpid())), std::string::npos) << (*kv)->value;
    EXPECT_NE((*kv)->lease, 0);
}

TEST_F(EtcdLockTest, ALockWhoseHolderStoppedRenewingEndsWithItsLease) {
    auto a = host(seconds(2));
    auto b = host(seconds(2));
    ASSERT_TRUE(*a->try_lock(alice_));
    EXPECT_TRUE(*a->keep_alive(alice_));
    // a stops renewing, as a dead or stopped credd would.
    EXPECT_TRUE(takes_lock_soon(*b)) << "the lock outlived its lease";
    EXPECT_FALSE(*a->keep_alive(alice_)) << "the old holder must learn it lost the lock";
}

// A refresh that ends without a commit (its answer dropped because a login
// replaced the grant meanwhile) must not leave the next write compared with
// its stale pending mark.
TEST_F(EtcdLockTest, ReleasingTheLockLetsTheNextWriteCompareWithWhatIsStoredNow) {
    auto a = host();
    auto b = host();
    CredentialRecord rec = stored_and_locked(*a);
    ASSERT_TRUE(a->refresh_token(alice_));
    rec.state = CredentialState::refresh_pending;
    ASSERT_TRUE(a->update(alice_, rec));
    rec.state = CredentialState::valid;
    ASSERT_TRUE(b->get(alice_));
    ASSERT_TRUE(b->put(alice_, rec, SecretBytes::from("RT-new-login")));
    a->unlock(alice_);
    ASSERT_TRUE(a->get(alice_));
    rec.rotation = 7;
    auto next = a->update(alice_, rec);
    EXPECT_TRUE(next) << next.error().message;
    EXPECT_EQ(b->refresh_token(alice_)->reveal(), "RT-new-login");
}

TEST_F(EtcdLockTest, TheLocksOfOneHostShareOneLease) {
    auto a = host();
    ASSERT_TRUE(*a->try_lock(alice_));
    ASSERT_TRUE(*a->try_lock({"alice", "gitlab"}));
    auto first = a->client().get("/credd/locks/alice/github");
    auto second = a->client().get("/credd/locks/alice/gitlab");
    ASSERT_TRUE(first && *first && second && *second);
    EXPECT_NE((*first)->lease, 0);
    EXPECT_EQ((*first)->lease, (*second)->lease);
    a->unlock(alice_);
    EXPECT_FALSE(*a->locked(alice_)) << "unlock must delete the lock key";
    EXPECT_TRUE(*a->locked({"alice", "gitlab"})) << "unlocking one credential released another";
}

// After its lease ended, the old holder's unlock must not delete the lock
// that another host took since.
TEST_F(EtcdLockTest, AnUnlockAfterTheLeaseEndedLeavesTheNextHoldersLock) {
    auto a = host(seconds(2));
    auto b = host(seconds(2));
    ASSERT_TRUE(*a->try_lock(alice_));
    ASSERT_TRUE(takes_lock_soon(*b)) << "the lock outlived its lease";
    a->unlock(alice_);
    EXPECT_TRUE(*b->locked(alice_)) << "the old holder deleted the new holder's lock";
    EXPECT_TRUE(*a->try_lock({"alice", "gitlab"})) << "a host whose lease expired takes a new one";
    EXPECT_TRUE(*a->keep_alive({"alice", "gitlab"}));
}

// Under the lock a host reads the record from etcd once and answers later
// reads from what it read; a login through another host meanwhile must
// still make the pending mark fail, so the refresh token read is not sent.
TEST_F(EtcdLockTest, ALoginElsewhereAfterTheReadUnderTheLockMakesThePendingMarkFail) {
    auto a = host();
    auto b = host();
    CredentialRecord rec = stored_and_locked(*a);
    ASSERT_TRUE(a->get(alice_));
    ASSERT_TRUE(b->get(alice_));
    ASSERT_TRUE(b->put(alice_, rec, SecretBytes::from("RT-new-login")));
    ASSERT_TRUE(a->refresh_token(alice_));
    rec.state = CredentialState::refresh_pending;
    auto marked = a->update(alice_, rec);
    ASSERT_FALSE(marked) << "a pending mark landed over another host's login";
    EXPECT_EQ(marked.error().code, Errc::provider_unavailable);
    EXPECT_NE(marked.error().message.find("changed by another credd"), std::string::npos) << marked.error().message;
    a->unlock(alice_);
    EXPECT_EQ(a->refresh_token(alice_)->reveal(), "RT-new-login");
    EXPECT_EQ((*a->get(alice_))->state, CredentialState::valid);
}

}  // namespace
}  // namespace credctl::store
