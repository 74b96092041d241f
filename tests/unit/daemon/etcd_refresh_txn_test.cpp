// The two transactions of a refresh on etcd (daemon/store/etcd_txn.hpp,
// EtcdStore::lock_and_mark() and commit_and_unlock()) against a real etcd:
// two stores stand for two hosts of a fleet.
#include "daemon/store/etcd_store.hpp"

#include "support/etcd_fixture.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <thread>

namespace credctl::store {
namespace {

using Outcome = MarkResult::Outcome;
using std::chrono::milliseconds;
using std::chrono::seconds;

class EtcdRefreshTxnTest : public test::EtcdFixture {
protected:
    std::unique_ptr<EtcdStore> host(seconds lease = seconds(10)) { return open_store(1, "/credd/", lease); }
    // A stored credential (refresh token RT-1), read by `h` as a refresh
    // begins; returns the record read, marked refresh_pending.
    CredentialRecord stored_and_read(EtcdStore& h) {
        CredentialRecord rec;
        rec.subject = "sub";
        EXPECT_TRUE(h.put(alice_, rec, SecretBytes::from("RT-1")));
        auto read = h.get(alice_);
        EXPECT_TRUE(read && *read);
        CredentialRecord pending = std::move(**read);
        pending.state = CredentialState::refresh_pending;
        return pending;
    }
    // Waits until the lock of alice_ is gone (its lease ended); false after 6 s.
    bool lock_ended(EtcdStore& other) {
        const auto until = std::chrono::steady_clock::now() + seconds(6);
        while (std::chrono::steady_clock::now() < until) {
            if (!*other.locked(alice_)) return true;
            std::this_thread::sleep_for(milliseconds(200));
        }
        return false;
    }
};

TEST_F(EtcdRefreshTxnTest, TheLockAndThePendingMarkAreOneWrite) {
    auto a = host();
    auto b = host();
    ASSERT_TRUE(*a->try_lock({"alice", "gitlab"}));  // the lease is granted before
    CredentialRecord pending = stored_and_read(*a);
    const auto before = a->client().calls();
    auto marked = a->lock_and_mark(alice_, pending);
    ASSERT_TRUE(marked) << marked.error().message;
    EXPECT_EQ(marked->outcome, Outcome::marked);
    EXPECT_EQ(a->refresh_token(alice_)->reveal(), "RT-1") << "the mark must keep the refresh token";
    EXPECT_EQ(a->client().calls() - before, 1u) << "one transaction, and no read of the record under the lock";
    EXPECT_TRUE(*b->locked(alice_));
    EXPECT_EQ((*b->get(alice_))->state, CredentialState::refresh_pending);
}

TEST_F(EtcdRefreshTxnTest, TheLockAndMarkAreRefusedWhenTheRecordChangedSinceItWasRead) {
    auto a = host();
    auto b = host();
    CredentialRecord pending = stored_and_read(*a);
    auto theirs = b->get(alice_);
    ASSERT_TRUE(theirs && *theirs);
    CredentialRecord refreshed = std::move(**theirs);
    refreshed.rotation = 1;
    refreshed.access_token = SecretBytes::from("AT-from-b");
    ASSERT_TRUE(b->put(alice_, refreshed, SecretBytes::from("RT-2")));  // b refreshed after a's read

    auto marked = a->lock_and_mark(alice_, pending);
    ASSERT_TRUE(marked) << marked.error().message;
    EXPECT_EQ(marked->outcome, Outcome::changed);
    ASSERT_TRUE(marked->current);
    EXPECT_EQ(marked->current->rotation, 1u);
    EXPECT_EQ(marked->current->access_token.reveal(), "AT-from-b");
    EXPECT_FALSE(*b->locked(alice_)) << "a refused attempt took the lock";
    EXPECT_EQ((*b->get(alice_))->state, CredentialState::valid) << "a refused attempt marked the record";
    EXPECT_EQ(b->refresh_token(alice_)->reveal(), "RT-2");

    // Compared with the record it was just told about, the next attempt holds.
    CredentialRecord again = std::move(*marked->current);
    again.state = CredentialState::refresh_pending;
    auto retried = a->lock_and_mark(alice_, again);
    ASSERT_TRUE(retried) << retried.error().message;
    EXPECT_EQ(retried->outcome, Outcome::marked);
    EXPECT_EQ(a->refresh_token(alice_)->reveal(), "RT-2");
}

// A read made for another caller in between (the store's last read is no
// longer the caller's record) must not become the base of the mark: here
// it holds another host's refresh, which the caller is told about.
TEST_F(EtcdRefreshTxnTest, AMarkIsNotBasedOnANewerReadThanTheCallersRecord) {
    auto a = host();
    auto b = host();
    CredentialRecord pending = stored_and_read(*a);
    auto theirs = b->get(alice_);
    ASSERT_TRUE(theirs && *theirs);
    CredentialRecord refreshed = std::move(**theirs);
    refreshed.rotation = 1;
    refreshed.access_expires_at += 3600;
    ASSERT_TRUE(b->put(alice_, refreshed, SecretBytes::from("RT-2")));
    ASSERT_TRUE(a->get(alice_));  // another caller of host a reads the new record
    auto marked = a->lock_and_mark(alice_, pending);
    ASSERT_TRUE(marked) << marked.error().message;
    EXPECT_EQ(marked->outcome, Outcome::changed) << "marked over a record the caller never saw";
    ASSERT_TRUE(marked->current);
    EXPECT_EQ(marked->current->rotation, 1u);
    EXPECT_FALSE(*b->locked(alice_));
}

// A pending mark whose holder's lock ended is never marked over (its
// refresh token may be spent), even when it is what was read.
TEST_F(EtcdRefreshTxnTest, AMarkIsNeverWrittenOverAPendingMarkWhoseLockEnded) {
    auto a = host(seconds(2));
    auto b = host(seconds(2));
    CredentialRecord pending = stored_and_read(*a);
    ASSERT_EQ(a->lock_and_mark(alice_, pending)->outcome, Outcome::marked);
    auto seen = b->get(alice_);
    ASSERT_TRUE(seen && *seen);
    ASSERT_TRUE(lock_ended(*b));
    CredentialRecord again = std::move(**seen);
    auto marked = b->lock_and_mark(alice_, again);
    ASSERT_TRUE(marked) << marked.error().message;
    EXPECT_EQ(marked->outcome, Outcome::changed);
    ASSERT_TRUE(marked->current);
    EXPECT_EQ(marked->current->state, CredentialState::refresh_pending);
    EXPECT_FALSE(*b->locked(alice_)) << "b took the lock of a refresh that may have spent the token";
}

TEST_F(EtcdRefreshTxnTest, AHostThatFindsTheLockHeldIsToldSoAndWritesNothing) {
    auto a = host();
    auto b = host();
    CredentialRecord pending = stored_and_read(*a);
    auto read_by_b = b->get(alice_);
    ASSERT_TRUE(read_by_b && *read_by_b);
    ASSERT_EQ(a->lock_and_mark(alice_, pending)->outcome, Outcome::marked);
    CredentialRecord b_pending = std::move(**read_by_b);
    b_pending.state = CredentialState::refresh_pending;
    b_pending.subject = "written by b";
    auto marked = b->lock_and_mark(alice_, b_pending);
    ASSERT_TRUE(marked) << marked.error().message;
    EXPECT_EQ(marked->outcome, Outcome::held);
    ASSERT_TRUE(marked->current);
    EXPECT_EQ(marked->current->state, CredentialState::refresh_pending);
    EXPECT_EQ((*a->get(alice_))->subject, "sub");
}

TEST_F(EtcdRefreshTxnTest, ALookReadsTheLockAndTheRecordInOneCall) {
    auto a = host();
    auto b = host();
    CredentialRecord pending = stored_and_read(*a);
    ASSERT_EQ(a->lock_and_mark(alice_, pending)->outcome, Outcome::marked);
    const auto before = b->client().calls();
    auto during = b->look(alice_);
    ASSERT_TRUE(during) << during.error().message;
    EXPECT_EQ(b->client().calls() - before, 1u);
    EXPECT_TRUE(during->held);
    ASSERT_TRUE(during->record);
    EXPECT_EQ(during->record->state, CredentialState::refresh_pending);
    pending.state = CredentialState::valid;
    ASSERT_TRUE(a->commit_and_unlock(alice_, pending, nullptr));
    auto after = b->look(alice_);
    ASSERT_TRUE(after && after->record);
    EXPECT_FALSE(after->held);
    EXPECT_EQ(after->record->state, CredentialState::valid);
    auto gone = b->look({"alice", "nobody"});
    ASSERT_TRUE(gone);
    EXPECT_FALSE(gone->held);
    EXPECT_FALSE(gone->record);
}

TEST_F(EtcdRefreshTxnTest, TheCommitStoresTheAnswerAndReleasesTheLockInOneWrite) {
    auto a = host();
    auto b = host();
    CredentialRecord pending = stored_and_read(*a);
    ASSERT_EQ(a->lock_and_mark(alice_, pending)->outcome, Outcome::marked);
    CredentialRecord answer = std::move(pending);
    answer.state = CredentialState::valid;
    answer.rotation = 1;
    const SecretBytes rotated = SecretBytes::from("RT-2");
    const auto before = a->client().calls();
    auto committed = a->commit_and_unlock(alice_, answer, &rotated);
    ASSERT_TRUE(committed) << committed.error().message;
    EXPECT_EQ(a->client().calls() - before, 1u);
    a->unlock(alice_);
    EXPECT_EQ(a->client().calls() - before, 1u) << "the lock was already released by the commit";
    EXPECT_FALSE(*b->locked(alice_));
    EXPECT_EQ(b->refresh_token(alice_)->reveal(), "RT-2");
    EXPECT_EQ((*b->get(alice_))->state, CredentialState::valid);
}

TEST_F(EtcdRefreshTxnTest, ACommitWithoutANewRefreshTokenKeepsTheStoredOne) {
    auto a = host();
    CredentialRecord pending = stored_and_read(*a);
    ASSERT_EQ(a->lock_and_mark(alice_, pending)->outcome, Outcome::marked);
    pending.state = CredentialState::valid;
    ASSERT_TRUE(a->commit_and_unlock(alice_, pending, nullptr));
    auto b = host();
    EXPECT_EQ(b->refresh_token(alice_)->reveal(), "RT-1");
    EXPECT_FALSE(*b->locked(alice_));
}

// A holder stopped past its lease (SIGSTOP, a partition) comes back with the
// provider's answer. Nobody else wrote the record meanwhile, but its lock
// is gone: the late commit must not land.
TEST_F(EtcdRefreshTxnTest, ACommitAfterTheLeaseEndedIsRefused) {
    auto a = host(seconds(2));
    auto b = host(seconds(2));
    CredentialRecord pending = stored_and_read(*a);
    ASSERT_EQ(a->lock_and_mark(alice_, pending)->outcome, Outcome::marked);
    ASSERT_TRUE(lock_ended(*b)) << "the lock outlived its lease";

    CredentialRecord answer = std::move(pending);
    answer.state = CredentialState::valid;
    const SecretBytes rotated = SecretBytes::from("RT-2");
    auto late = a->commit_and_unlock(alice_, answer, &rotated);
    ASSERT_FALSE(late) << "a commit landed after its lock's lease ended";
    EXPECT_EQ(late.error().code, Errc::provider_unavailable);
    EXPECT_NE(late.error().message.find("its refresh lock ended with its lease"), std::string::npos)
        << late.error().message;
    EXPECT_EQ(b->refresh_token(alice_)->reveal(), "RT-1");
    EXPECT_EQ((*b->get(alice_))->state, CredentialState::refresh_pending);
}

// The same, after another host decided meanwhile that the credential needs
// a login: both reasons are named, and the decision stays.
TEST_F(EtcdRefreshTxnTest, ALateCommitOverAnotherHostsDecisionIsRefused) {
    auto a = host(seconds(2));
    auto b = host(seconds(2));
    CredentialRecord pending = stored_and_read(*a);
    ASSERT_EQ(a->lock_and_mark(alice_, pending)->outcome, Outcome::marked);
    ASSERT_TRUE(lock_ended(*b));
    auto seen = b->get(alice_);
    ASSERT_TRUE(seen && *seen);
    CredentialRecord dead = std::move(**seen);
    dead.state = CredentialState::login_required;
    ASSERT_TRUE(b->update(alice_, dead));

    pending.state = CredentialState::valid;
    const SecretBytes rotated = SecretBytes::from("RT-2");
    auto late = a->commit_and_unlock(alice_, pending, &rotated);
    ASSERT_FALSE(late);
    EXPECT_NE(late.error().message.find("changed by another credd"), std::string::npos) << late.error().message;
    EXPECT_EQ((*b->get(alice_))->state, CredentialState::login_required);
    EXPECT_EQ(b->refresh_token(alice_)->reveal(), "RT-1");
}

}  // namespace
}  // namespace credctl::store
