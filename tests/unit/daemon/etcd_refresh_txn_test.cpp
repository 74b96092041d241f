// The two transactions of a refresh on etcd (daemon/store/etcd_txn.hpp,
// EtcdStore::lock_and_mark() and commit_and_unlock()) against a real etcd:
// two stores stand for two hosts of a fleet.
#include "daemon/store/etcd_store.hpp"

#include "support/etcd_fixture.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <memory>

namespace credctl::store {
namespace {

using Outcome = MarkResult::Outcome;
using std::chrono::seconds;

class EtcdRefreshTxnTest : public test::EtcdFixture {
protected:
    // A stored credential (refresh token RT-1), read by `h` as a refresh
    // begins; returns the record read, marked refresh_pending.
    CredentialRecord stored_and_read(EtcdStore& h) {
        CredentialRecord rec;
        rec.subject = "sub";
        EXPECT_TRUE(h.put(alice_, rec, SecretBytes::from("RT-1")));
        CredentialRecord pending = read_by(h);
        pending.state = CredentialState::refresh_pending;
        return pending;
    }
    // The same, then `h` takes the lock with its pending mark.
    CredentialRecord marked_by(EtcdStore& h) {
        CredentialRecord pending = stored_and_read(h);
        auto marked = h.lock_and_mark(alice_, pending);
        EXPECT_TRUE(marked && marked->outcome == Outcome::marked) << "the first lock_and_mark did not mark";
        return pending;
    }
    // alice_'s record as `h` reads it now.
    CredentialRecord read_by(EtcdStore& h) {
        auto read = h.get(alice_);
        EXPECT_TRUE(read && *read) << "alice's record is not there";
        return read && *read ? std::move(**read) : CredentialRecord{};
    }
    // Host `h` stores a refresh of its own: rotation 1, access token
    // AT-from-b, refresh token RT-2.
    void refreshed_by(EtcdStore& h) {
        CredentialRecord refreshed = read_by(h);
        refreshed.rotation = 1;
        refreshed.access_token = SecretBytes::from("AT-from-b");
        refreshed.access_expires_at += 3600;
        EXPECT_TRUE(h.put(alice_, refreshed, SecretBytes::from("RT-2")));
    }
    // Whether the lock of alice_ is gone (its lease ended) within 6 s.
    bool lock_ended(EtcdStore& other) {
        return within_a_short_lease([&] { return !*other.locked(alice_); });
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
    refreshed_by(*b);  // after a's read

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
    refreshed_by(*b);
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
    marked_by(*a);
    CredentialRecord again = read_by(*b);
    ASSERT_TRUE(lock_ended(*b));
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
    CredentialRecord b_pending = read_by(*b);
    ASSERT_EQ(a->lock_and_mark(alice_, pending)->outcome, Outcome::marked);
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
    CredentialRecord pending = marked_by(*a);
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
    CredentialRecord pending = marked_by(*a);
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
    CredentialRecord pending = marked_by(*a);
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
    CredentialRecord pending = marked_by(*a);
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
    CredentialRecord pending = marked_by(*a);
    ASSERT_TRUE(lock_ended(*b));
    CredentialRecord dead = read_by(*b);
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
