#include "daemon/store/etcd_store.hpp"

#include "support/etcd_fixture.hpp"
#include "support/holding_proxy.hpp"
#include "support/sample_record.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace credctl::store {
namespace {

using test::key_of;

CredentialRecord record(const std::string& subject) {
    return test::record_tagged(subject, subject);
}

class EtcdStoreTest : public test::EtcdFixture {
protected:
    std::unique_ptr<etcd::EtcdClient> client(std::vector<std::string> endpoints = {}) {
        return etcd_.client(std::move(endpoints));
    }
};

TEST_F(EtcdStoreTest, APutRecordReadsBackWithItsRefreshTokenApart) {
    auto st = open_store();
    ASSERT_TRUE(st->put(alice_, record("sub-a"), SecretBytes::from("RT-1")));
    auto got = st->get(alice_);
    ASSERT_TRUE(got && *got);
    EXPECT_EQ((*got)->subject, "sub-a");
    EXPECT_EQ((*got)->access_token.reveal(), "AT-sub-a");
    EXPECT_EQ(st->refresh_token(alice_)->reveal(), "RT-1");
    auto other = open_store();  // another host of the fleet
    EXPECT_EQ(other->refresh_token(alice_)->reveal(), "RT-1");
}

TEST_F(EtcdStoreTest, NoTokenIsStoredInTheClear) {
    auto st = open_store();
    ASSERT_TRUE(st->put(alice_, record("sub-a"), SecretBytes::from("RT-secret-marker")));
    auto all = client()->list("/", false);
    ASSERT_TRUE(all);
    ASSERT_EQ(all->kvs.size(), 4u);  // the record, the key check, data key 1 (sealed) and the current key's id
    for (const auto& kv : all->kvs) {
        EXPECT_EQ(kv.value.find("RT-secret-marker"), std::string::npos);
        EXPECT_EQ(kv.value.find("AT-sub-a"), std::string::npos);
    }
}

TEST_F(EtcdStoreTest, AValueMovedToAnotherKeyDoesNotOpen) {
    auto st = open_store();
    ASSERT_TRUE(st->put(alice_, record("sub-a"), SecretBytes::from("RT-1")));
    auto c = client();
    auto value = c->get(st->etcd_key(alice_));
    ASSERT_TRUE(value && *value);
    const CredentialKey bob{"bob", "github"};
    ASSERT_TRUE(c->put_if(st->etcd_key(bob), (*value)->value, 0));
    auto moved = st->get(bob);
    ASSERT_FALSE(moved);
    EXPECT_EQ(moved.error().message,
              "store: credential bob/github: record does not open (wrong key, moved or damaged)");
}

TEST_F(EtcdStoreTest, OfTwoHostsStoringARotatedTokenExactlyOneWins) {
    auto a = open_store();
    auto b = open_store();
    ASSERT_TRUE(a->put(alice_, record("sub-a"), SecretBytes::from("RT-1")));
    ASSERT_TRUE(a->refresh_token(alice_));
    ASSERT_TRUE(b->refresh_token(alice_));
    ASSERT_TRUE(a->put(alice_, record("sub-a"), SecretBytes::from("RT-from-a")));
    auto lost = b->put(alice_, record("sub-a"), SecretBytes::from("RT-from-b"));
    ASSERT_FALSE(lost);
    EXPECT_EQ(lost.error().code, Errc::provider_unavailable);
    EXPECT_NE(lost.error().message.find("alice/github was changed by another credd"), std::string::npos)
        << lost.error().message;
    EXPECT_EQ(b->refresh_token(alice_)->reveal(), "RT-from-a");  // the loser re-reads the winner's
}

TEST_F(EtcdStoreTest, AnUpdateOverAnotherHostsWriteIsRefusedAndKeepsItsToken) {
    auto a = open_store();
    auto b = open_store();
    ASSERT_TRUE(a->put(alice_, record("sub-a"), SecretBytes::from("RT-1")));
    ASSERT_TRUE(b->get(alice_));
    ASSERT_TRUE(a->put(alice_, record("sub-a"), SecretBytes::from("RT-2")));
    auto pending = record("sub-a");
    pending.state = CredentialState::refresh_pending;
    EXPECT_FALSE(b->update(alice_, pending));
    ASSERT_TRUE(b->update(alice_, pending));  // after the refusal it compares with what it read
    EXPECT_EQ(a->refresh_token(alice_)->reveal(), "RT-2");
    EXPECT_EQ((*a->get(alice_))->state, CredentialState::refresh_pending);
}

// A holder cut off past its lock's lease (SIGSTOP, a partition) comes back
// with the provider's answer: another host has meanwhile marked the
// credential login_required. The late commit must not land.
TEST_F(EtcdStoreTest, AHoldersLateCommitOverAnotherHostsDecisionIsRefused) {
    auto a = open_store();
    auto b = open_store();
    ASSERT_TRUE(a->put(alice_, record("sub-a"), SecretBytes::from("RT-1")));
    ASSERT_TRUE(a->refresh_token(alice_));
    auto pending = record("sub-a");
    pending.state = CredentialState::refresh_pending;
    ASSERT_TRUE(a->update(alice_, pending));
    auto seen = b->get(alice_);
    ASSERT_TRUE(seen && *seen);
    auto dead = std::move(**seen);
    dead.state = CredentialState::login_required;
    ASSERT_TRUE(b->update(alice_, dead));
    ASSERT_EQ(a->refresh_token(alice_)->reveal(), "RT-1");  // the holder's check that the grant is still its own
    auto late = a->put(alice_, record("sub-a"), SecretBytes::from("RT-2"));
    ASSERT_FALSE(late);
    EXPECT_EQ(late.error().code, Errc::provider_unavailable);
    EXPECT_EQ((*b->get(alice_))->state, CredentialState::login_required);
    EXPECT_EQ(b->refresh_token(alice_)->reveal(), "RT-1");
}

TEST_F(EtcdStoreTest, AWrongMasterKeyIsRefusedAtOpen) {
    ASSERT_TRUE(open_store(1));
    auto wrong = EtcdStore::open(client(), "/credd/", Sealer(key_of(2)));
    ASSERT_FALSE(wrong);
    EXPECT_EQ(wrong.error().message, "master key does not match the etcd store at prefix \"/credd/\"");
    EXPECT_TRUE(EtcdStore::open(client(), "/other/", Sealer(key_of(2))));  // another prefix, another fleet
}

TEST_F(EtcdStoreTest, KeysCountAndEraseStayBelowThePrefix) {
    auto st = open_store();
    auto elsewhere = open_store(1, "/elsewhere/");
    ASSERT_TRUE(st->put(alice_, record("a"), SecretBytes::from("RT")));
    ASSERT_TRUE(st->put({"alice", "gitlab"}, record("a"), SecretBytes::from("RT")));
    ASSERT_TRUE(st->put({"bob", "github"}, record("b"), SecretBytes::from("RT")));
    ASSERT_TRUE(elsewhere->put({"carol", "github"}, record("c"), SecretBytes::from("RT")));
    EXPECT_EQ(*st->count(), 3u);
    auto keys = st->keys("alice");
    ASSERT_TRUE(keys);
    ASSERT_EQ(keys->size(), 2u);
    EXPECT_EQ((*keys)[0].provider, "github");
    EXPECT_EQ((*keys)[1].provider, "gitlab");
    EXPECT_TRUE(*st->erase(alice_));
    EXPECT_FALSE(*st->erase(alice_));
    EXPECT_FALSE(*st->get(alice_));
    EXPECT_EQ(*st->count(), 2u);
}

// Every status that probes the store counts the credentials: etcd is asked
// for the number (count_only), not for every key, whose answer grows with
// the fleet.
TEST_F(EtcdStoreTest, ACountAsksEtcdForTheNumberNotForEveryKey) {
    const std::string url = etcd_.url();
    test::HoldingProxy proxy(std::atoi(url.substr(url.rfind(':') + 1).c_str()));
    auto st = EtcdStore::open(client({proxy.url()}), "/credd/", Sealer(key_of(1)));
    ASSERT_TRUE(st) << st.error().message;
    auto writer = client();
    constexpr int k_batches = 3;  // of 100 keys: etcd takes at most 128 operations in a transaction
    for (int b = 0; b < k_batches; ++b) {
        std::vector<etcd::TxnWrite> writes;
        for (int i = 0; i < 100; ++i) {
            writes.push_back({"/credd/credentials/user" + std::to_string(b * 100 + i) + "/github", "sealed"});
        }
        auto put = writer->txn({}, writes);
        ASSERT_TRUE(put && put->succeeded) << (put ? "refused" : put.error().message);
    }
    const auto before = proxy.answered_bytes();
    auto n = (*st)->count();
    ASSERT_TRUE(n) << n.error().message;
    EXPECT_EQ(*n, 300U);
    // 300 keys listed are some 30 KB; a count is one short answer.
    EXPECT_LT(proxy.answered_bytes() - before, 1024U);
}

TEST_F(EtcdStoreTest, ADeadEndpointIsSkippedForTheNext) {
    const std::string dead = "http://127.0.0.1:" + std::to_string(credctl::test::free_loopback_port());
    auto st = EtcdStore::open(client({dead, etcd_.url()}), "/credd/", Sealer(key_of(1)));
    ASSERT_TRUE(st);
    ASSERT_TRUE((*st)->put(alice_, record("a"), SecretBytes::from("RT")));
    EXPECT_EQ((*st)->client().last_answered(), etcd_.url());
}

// What host a's change feed reports within 10 s, waiting for it to have
// something (the watch runs on its own thread).
Changes changes_seen(EtcdStore& a) {
    Changes all;
    for (int i = 0; i < 100; ++i) {
        Changes c = a.take();
        all.everything = all.everything || c.everything;
        all.keys.insert(all.keys.end(), c.keys.begin(), c.keys.end());
        if (!all.keys.empty()) break;
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return all;
}

TEST_F(EtcdStoreTest, AChangeByAnotherHostReachesTheChangeFeed) {
    auto a = open_store();
    auto b = open_store();
    EXPECT_EQ(a->change_feed(), nullptr) << "no feed before following";
    etcd::ClientOptions o;
    o.endpoints = {etcd_.url()};
    ASSERT_TRUE(a->follow_changes(o));
    ASSERT_EQ(a->change_feed(), a.get());
    // The watch is set up: everything cached before it is to be forgotten.
    for (int i = 0; i < 100 && !a->take().everything; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(100));
    ASSERT_TRUE(b->put(alice_, record("a"), SecretBytes::from("RT")));
    Changes put = changes_seen(*a);
    ASSERT_EQ(put.keys.size(), 1u);
    EXPECT_EQ(put.keys[0].user, "alice");
    EXPECT_EQ(put.keys[0].provider, "github");
    ASSERT_TRUE(b->erase(alice_));
    Changes erased = changes_seen(*a);
    ASSERT_EQ(erased.keys.size(), 1u);
    EXPECT_EQ(erased.keys[0].provider, "github");
    EXPECT_TRUE(a->take().keys.empty()) << "taken once";
}

TEST_F(EtcdStoreTest, TheWatchStopsWithTheStore) {
    auto a = open_store();
    etcd::ClientOptions o;
    o.endpoints = {etcd_.url()};
    ASSERT_TRUE(a->follow_changes(o));
    const auto start = std::chrono::steady_clock::now();
    a.reset();  // joins the watch's thread, which is blocked reading the stream
    EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(2));
}

// A host following the watch, its watch set up (it asks to forget everything
// cached first).
std::unique_ptr<EtcdStore> following(std::unique_ptr<EtcdStore> st, const std::string& url) {
    etcd::ClientOptions o;
    o.endpoints = {url};
    EXPECT_TRUE(st->follow_changes(o));
    for (int i = 0; i < 100 && !st->take().everything; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(50));
    return st;
}

// The etcd calls that one read of alice's record makes, and its subject: the
// read that starts a refresh (get_to_refresh()), or with `get`, get().
std::pair<std::uint64_t, std::string> read_alice(EtcdStore& st, const CredentialKey& alice, bool get = false) {
    const std::uint64_t before = st.client().calls();
    auto r = get ? st.get(alice) : st.get_to_refresh(alice);
    EXPECT_TRUE(r && *r) << (r ? "absent" : r.error().message);
    return {st.client().calls() - before, r && *r ? (*r)->subject : ""};
}

TEST_F(EtcdStoreTest, AKeptRecordAnswersAReadOnlyWhileTheWatchVouchesForIt) {
    auto a = following(open_store(), etcd_.url());
    auto b = open_store();
    ASSERT_TRUE(a->put(alice_, record("a1"), SecretBytes::from("RT")));
    EXPECT_EQ(read_alice(*a, alice_), std::make_pair(std::uint64_t{0}, std::string("a1"))) << "its own write";
    // Another host's write: read from etcd once the watch has reported it.
    ASSERT_TRUE(b->put(alice_, record("b1"), SecretBytes::from("RT")));
    std::size_t reported = 0;  // a's own put, then b's
    for (int i = 0; i < 100 && reported < 2; ++i) reported += changes_seen(*a).keys.size();
    ASSERT_EQ(reported, 2u);
    EXPECT_EQ(read_alice(*a, alice_), std::make_pair(std::uint64_t{1}, std::string("b1")));
    EXPECT_EQ(read_alice(*a, alice_), std::make_pair(std::uint64_t{0}, std::string("b1"))) << "that read is kept";
    // Not valid: a record that needs a login, or a pending mark, is read from etcd.
    auto rejected = record("a2");
    rejected.state = CredentialState::login_required;
    ASSERT_TRUE(a->put(alice_, rejected, SecretBytes::from("RT")));
    EXPECT_EQ(read_alice(*a, alice_), std::make_pair(std::uint64_t{1}, std::string("a2")));
}

// get() (a logout's read, a login's, a status) is never answered from the
// kept copy: it is the linearizable read that keeps a write from being
// proposed to a cluster that has lost quorum.
TEST_F(EtcdStoreTest, AGetAlwaysAsksEtcdEvenWhileTheWatchVouchesForTheKeptRecord) {
    auto a = following(open_store(), etcd_.url());
    ASSERT_TRUE(a->put(alice_, record("a1"), SecretBytes::from("RT")));
    EXPECT_EQ(read_alice(*a, alice_), std::make_pair(std::uint64_t{0}, std::string("a1"))) << "the refresh's read";
    EXPECT_EQ(read_alice(*a, alice_, true), std::make_pair(std::uint64_t{1}, std::string("a1")));
    EXPECT_EQ(read_alice(*a, alice_, true), std::make_pair(std::uint64_t{1}, std::string("a1")));
}

TEST_F(EtcdStoreTest, WhileNoWatchIsSetUpEveryReadAsksEtcd) {
    // The watch's only member does not answer: it never gets set up.
    auto a = open_store();
    etcd::ClientOptions o;
    o.endpoints = {"http://127.0.0.1:" + std::to_string(credctl::test::free_loopback_port())};
    o.request_timeout = std::chrono::milliseconds(200);
    ASSERT_TRUE(a->follow_changes(o));
    ASSERT_TRUE(a->put(alice_, record("a1"), SecretBytes::from("RT")));
    EXPECT_EQ(read_alice(*a, alice_), std::make_pair(std::uint64_t{1}, std::string("a1")));
    EXPECT_EQ(read_alice(*a, alice_), std::make_pair(std::uint64_t{1}, std::string("a1")));
}

}  // namespace
}  // namespace credctl::store
