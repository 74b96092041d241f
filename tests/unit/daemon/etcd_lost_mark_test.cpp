// A refresh's lock and mark whose answer was lost (EtcdStore::settle(),
// docs/fleet.md "A lock and mark whose answer was lost"), against a real
// etcd: host A talks to it through a proxy that keeps its transaction back
// and answers nothing (A's call times out); the test then sends the kept
// transaction to etcd itself, as a member without quorum that accepted the
// proposal would commit it once quorum returns. Host B stands for the rest
// of the fleet.
#include "daemon/store/etcd_store.hpp"
#include "daemon/store/record_codec.hpp"
#include "daemon/store/record_key.hpp"

#include "support/etcd_fixture.hpp"
#include "support/holding_proxy.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <memory>
#include <string>

namespace credctl::store {
namespace {

using std::chrono::seconds;

class EtcdLostMarkTest : public test::EtcdFixture {
protected:
    void SetUp() override {
        EtcdFixture::SetUp();
        const std::string url = etcd_.url();
        proxy_ = std::make_unique<test::HoldingProxy>(std::atoi(url.substr(url.rfind(':') + 1).c_str()));
        ASSERT_FALSE(proxy_->url().empty()) << "the proxy did not start";
        // A's calls time out after 1 s (a call kept back by the proxy takes that long).
        etcd::ClientOptions o;
        o.endpoints = {proxy_->url()};
        o.request_timeout = std::chrono::milliseconds(1000);
        auto client = etcd::EtcdClient::create(o);
        ASSERT_TRUE(client) << client.error().message;
        auto st = EtcdStore::open(std::move(*client), "/credd/", Sealer(test::key_of(1)), seconds(10));
        ASSERT_TRUE(st) << st.error().message;
        a_ = std::move(*st);
        b_ = host();
        CredentialRecord rec;
        rec.subject = "sub";
        rec.access_token = SecretBytes::from("AT-0");
        ASSERT_TRUE(b_->put(alice_, rec, SecretBytes::from("RT-1")));
    }
    // A reads the record, as a refresh begins, and tries to lock and mark
    // it while the proxy keeps the transaction back: the call fails.
    void lose_a_mark() {
        auto read = a_->get(alice_);
        ASSERT_TRUE(read && *read);
        CredentialRecord pending = std::move(**read);
        pending.state = CredentialState::refresh_pending;
        proxy_->hold(true);
        auto marked = a_->lock_and_mark(alice_, pending);
        proxy_->hold(false);
        ASSERT_FALSE(marked) << "the lock and mark was answered through a proxy that answers nothing";
        EXPECT_EQ(marked.error().code, Errc::provider_unavailable);
        ASSERT_EQ(proxy_->held().size(), 1u) << "the proxy kept no transaction";
    }
    // The kept transaction reaches etcd now; whether it applied.
    bool lands_late() {
        auto txn = etcd_.client()->txn(proxy_->held().front());
        EXPECT_TRUE(txn) << (txn ? "" : txn.error().message);
        return txn && txn->succeeded;
    }
    // The record as B reads it: as A found it, no lock on it.
    void expect_as_before() {
        auto now = b_->get(alice_);
        ASSERT_TRUE(now && *now);
        EXPECT_EQ((*now)->state, CredentialState::valid);
        EXPECT_EQ((*now)->access_token.reveal(), "AT-0");
        EXPECT_EQ(b_->refresh_token(alice_)->reveal(), "RT-1");
        EXPECT_FALSE(*b_->locked(alice_)) << "the lock of the lost mark is still there";
    }

    std::unique_ptr<test::HoldingProxy> proxy_;
    std::unique_ptr<EtcdStore> a_;
    std::unique_ptr<EtcdStore> b_;
};

// Settled before the mark arrives: the fence moved the record's revision, so
// the mark is refused when it arrives, and the record stays as it was.
TEST_F(EtcdLostMarkTest, AMarkSettledBeforeItArrivesIsRefusedWhenItDoes) {
    ASSERT_NO_FATAL_FAILURE(lose_a_mark());
    auto settled = a_->settle();
    ASSERT_TRUE(settled) << settled.error().message;
    EXPECT_TRUE(*settled);
    EXPECT_FALSE(lands_late()) << "the lost mark landed after it was settled";
    expect_as_before();
}

// Arrived before it was settled: the mark and its lock landed, though A's
// caller was answered with an error and no refresh token was sent on it.
// Settling undoes both, so the fleet does not take it for an interrupted
// refresh (login_required), and refreshes on as before.
TEST_F(EtcdLostMarkTest, AMarkThatLandedBeforeItWasSettledIsUndone) {
    ASSERT_NO_FATAL_FAILURE(lose_a_mark());
    ASSERT_TRUE(lands_late()) << "the kept mark did not apply";
    ASSERT_EQ((*b_->get(alice_))->state, CredentialState::refresh_pending);
    ASSERT_TRUE(*b_->locked(alice_));
    auto settled = a_->settle();
    ASSERT_TRUE(settled) << settled.error().message;
    EXPECT_TRUE(*settled);
    expect_as_before();

    // B refreshes from there.
    auto read = b_->get(alice_);
    ASSERT_TRUE(read && *read);
    CredentialRecord pending = std::move(**read);
    pending.state = CredentialState::refresh_pending;
    auto marked = b_->lock_and_mark(alice_, pending);
    ASSERT_TRUE(marked) << marked.error().message;
    EXPECT_EQ(marked->outcome, MarkResult::Outcome::marked);
}

// Any call of A on that credential settles it first: A never reads its own
// lost mark as another refresh in flight, nor as a dead one.
TEST_F(EtcdLostMarkTest, ACallOnTheCredentialSettlesItsLostMarkFirst) {
    ASSERT_NO_FATAL_FAILURE(lose_a_mark());
    ASSERT_TRUE(lands_late());
    auto view = a_->look(alice_);
    ASSERT_TRUE(view) << view.error().message;
    EXPECT_FALSE(view->held);
    ASSERT_TRUE(view->record);
    EXPECT_EQ(view->record->state, CredentialState::valid);
    expect_as_before();
    EXPECT_TRUE(*a_->settle()) << "nothing was left to settle";
}

// While etcd cannot be reached, the lost mark stays unsettled, and the calls
// on that credential fail rather than act on a record that may be marked.
TEST_F(EtcdLostMarkTest, WhileEtcdIsUnreachableCallsOnTheCredentialFail) {
    ASSERT_NO_FATAL_FAILURE(lose_a_mark());
    proxy_->hold(true);  // the fence is kept back too: it times out
    auto settled = a_->settle();
    EXPECT_FALSE(settled) << "settled through a proxy that answers nothing";
    auto read = a_->get_to_refresh(alice_);
    EXPECT_FALSE(read) << "read while its lost mark could not be settled";
    proxy_->hold(false);
    // The two kept transactions arrive in the order they were sent: the
    // mark lands, the fence is refused; then A settles by undoing the mark.
    ASSERT_TRUE(lands_late());
    EXPECT_FALSE(etcd_.client()->txn(proxy_->held().back())->succeeded);
    settled = a_->settle();
    ASSERT_TRUE(settled) << settled.error().message;
    expect_as_before();
}

// A key rotation between the read and the undo: the record goes back sealed
// under the key current at the undo, its refresh token too, not as the bytes
// read before (a rotation may retire the key they were sealed under).
TEST_F(EtcdLostMarkTest, AnUndoSealsTheRecordAgainUnderTheCurrentKey) {
    auto rotated = b_->data_keys().rotate();
    ASSERT_TRUE(rotated) << rotated.error().message;
    ASSERT_EQ(*rotated, 2u);
    ASSERT_TRUE(a_->data_keys().refresh());  // A seals its mark under key 2
    ASSERT_NO_FATAL_FAILURE(lose_a_mark());
    ASSERT_TRUE(lands_late());
    ASSERT_TRUE(a_->settle());
    expect_as_before();
    auto kv = etcd_.client()->get(b_->etcd_key(alice_));
    ASSERT_TRUE(kv && *kv);
    EXPECT_EQ(Sealer::key_id_of((*kv)->value).value_or(0), 2u) << "put back under the key it was read under";
    auto opened = b_->data_keys().open("credentials", record_key(alice_), (*kv)->value);
    ASSERT_TRUE(opened) << opened.error().message;
    auto decoded = decode_record(*opened);
    ASSERT_TRUE(decoded) << decoded.error().message;
    EXPECT_EQ(Sealer::key_id_of(decoded->sealed_refresh_token).value_or(0), 2u) << "its refresh token too";
}

}  // namespace
}  // namespace credctl::store
