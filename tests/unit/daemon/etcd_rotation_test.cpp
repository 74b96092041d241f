// Data keys and key rotation on the etcd backend (daemon/store/etcd_keys.hpp,
// etcd_maintenance.hpp; docs/fleet.md "Key rotation on a fleet") against a
// real single-member etcd, each EtcdStore standing for one host of a fleet.
#include "daemon/store/etcd_keys.hpp"
#include "daemon/store/etcd_maintenance.hpp"
#include "daemon/store/record_codec.hpp"
#include "daemon/store/record_key.hpp"

#include "support/etcd_fixture.hpp"
#include "support/sample_record.hpp"
#include "support/store_open.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace credctl::store {
namespace {

using test::key_of;
using test::record_version;
using test::refresh_of;

class EtcdRotationTest : public test::EtcdFixture {
protected:
    void SetUp() override {
        test::EtcdFixture::SetUp();
        store_ = open_store();
        ASSERT_TRUE(store_);
        admin_ = std::make_unique<EtcdMaintenance>(*store_, Sealer(key_of(1)), dir_.path().string());
    }

    // The key id in the header of the record stored for `key`, and of the
    // refresh token sealed inside it.
    std::pair<std::uint32_t, std::uint32_t> key_ids(const CredentialKey& key) {
        auto kv = etcd_.client()->get(store_->etcd_key(key));
        if (!kv || !*kv) return {0, 0};
        auto plain = store_->data_keys().open("credentials", record_key(key), (*kv)->value);
        auto decoded = plain ? decode_record(*plain) : Result<DecodedRecord>(plain.error());
        if (!decoded) return {Sealer::key_id_of((*kv)->value).value_or(0), 0};
        return {Sealer::key_id_of((*kv)->value).value_or(0),
                Sealer::key_id_of(decoded->sealed_refresh_token).value_or(0)};
    }

    // Every batch of a run, as credd's admin route runs them.
    RotationStep run_rotation() {
        RotationStep total;
        for (int i = 0; i < 1000; ++i) {
            auto step = admin_->rotate_batch(2);
            EXPECT_TRUE(step) << step.error().message;
            if (!step) break;
            total.resealed += step->resealed;
            if (step->done) {
                total.done = true;
                total.left = step->left;
                break;
            }
        }
        return total;
    }

    // A record as a credd from before data keys wrote it: the record and its
    // refresh token sealed under the master key itself.
    void put_old_format(const CredentialKey& key, const std::string& tag, const std::string& refresh) {
        const Sealer master(key_of(1));
        const std::string rk = record_key(key);
        const std::string inner = master.seal("refresh_token", rk, SecretBytes::from(refresh));
        const std::string value = master.seal("credentials", rk, encode_record(record_version(tag, 5, 0), inner));
        ASSERT_TRUE(etcd_.client()->put_if(store_->etcd_key(key), value, 0));
    }

    std::unique_ptr<EtcdStore> store_;
    std::unique_ptr<EtcdMaintenance> admin_;
    const CredentialKey bob_{"bob", "github"};
};

TEST_F(EtcdRotationTest, ANewStoreSealsUnderDataKeyOneNeverUnderTheMasterKey) {
    ASSERT_TRUE(store_->put(alice_, record_version("a", 10, 0), SecretBytes::from("RT-a")));
    EXPECT_EQ(store_->data_keys().current_id(), 1u);
    EXPECT_EQ(key_ids(alice_), std::make_pair(1u, 1u));
    auto data_key = etcd_.client()->get("/credd/meta/keys/1");
    ASSERT_TRUE(data_key && *data_key);
    EXPECT_EQ(Sealer::key_id_of((*data_key)->value).value_or(0), store_->master_key_id())
        << "sealed under the master key";
    auto current = etcd_.client()->get("/credd/meta/current_key");
    ASSERT_TRUE(current && *current);
    EXPECT_EQ((*current)->value, "1");
}

TEST_F(EtcdRotationTest, RotationResealsEveryRecordWhichStillOpensOnEveryHost) {
    constexpr int n = 7;
    for (int i = 0; i < n; ++i) {
        const std::string tag = std::to_string(i);
        ASSERT_TRUE(store_->put({"u" + tag, "p"}, record_version(tag, 10, 0), SecretBytes::from("RT-" + tag)));
    }
    auto id = admin_->begin_rotation();
    ASSERT_TRUE(id) << id.error().message;
    EXPECT_EQ(*id, 2u);
    EXPECT_TRUE(admin_->rotating());
    const auto run = run_rotation();
    EXPECT_TRUE(run.done);
    EXPECT_EQ(run.resealed, static_cast<std::uint64_t>(n));
    EXPECT_EQ(run.left, 0u);
    EXPECT_FALSE(admin_->rotating());
    auto other_host = open_store();
    for (int i = 0; i < n; ++i) {
        const CredentialKey key{"u" + std::to_string(i), "p"};
        EXPECT_EQ(key_ids(key), std::make_pair(2u, 2u));
        EXPECT_EQ(refresh_of(*other_host, key), "RT-" + std::to_string(i));
    }
    auto info = admin_->info();
    ASSERT_TRUE(info);
    EXPECT_EQ(info->current_key, 2u);
    EXPECT_EQ(info->keys, std::vector<std::uint32_t>{2}) << "data key 1 is retired once no record uses it";
    auto retired = etcd_.client()->get("/credd/meta/keys/1");
    ASSERT_TRUE(retired);
    EXPECT_FALSE(*retired);
}

TEST_F(EtcdRotationTest, ARecordSealedUnderTheMasterKeyStillOpensAndIsResealed) {
    put_old_format(bob_, "b", "RT-old-format");
    EXPECT_EQ(key_ids(bob_).first, store_->master_key_id());
    auto other_host = open_store();
    EXPECT_EQ(refresh_of(*other_host, bob_), "RT-old-format");
    auto got = other_host->get(bob_);
    ASSERT_TRUE(got && *got);
    EXPECT_EQ((*got)->access_token.reveal(), "AT-b");
    ASSERT_TRUE(admin_->begin_rotation());
    const auto run = run_rotation();
    EXPECT_EQ(run.resealed, 1u);
    EXPECT_EQ(key_ids(bob_), std::make_pair(2u, 2u));
    EXPECT_EQ(refresh_of(*other_host, bob_), "RT-old-format");
}

TEST_F(EtcdRotationTest, AnUpdateOfAnOldRecordSealsItsRefreshTokenUnderTheCurrentKey) {
    put_old_format(bob_, "b", "RT-old-format");
    ASSERT_TRUE(store_->update(bob_, record_version("b", 6, 0)));
    EXPECT_EQ(key_ids(bob_), std::make_pair(1u, 1u));
    EXPECT_EQ(refresh_of(*open_store(), bob_), "RT-old-format");
}

TEST_F(EtcdRotationTest, ADataKeyMovedUnderAnotherIdDoesNotOpen) {
    auto c = etcd_.client();
    auto data_key = c->get("/credd/meta/keys/1");
    ASSERT_TRUE(data_key && *data_key);
    ASSERT_TRUE(c->put_if("/credd/meta/keys/9", (*data_key)->value, 0));
    EtcdKeys keys(*c, "/credd/", Sealer(key_of(1)));
    ASSERT_TRUE(keys.load());
    const Sealer posing(key_of(7), 9);
    auto opened = keys.open("credentials", "x", posing.seal("credentials", "x", SecretBytes::from("p")));
    ASSERT_FALSE(opened);
    EXPECT_EQ(opened.error().message, "data key 9 does not open with the master key");
    auto unknown =
        keys.open("credentials", "x", Sealer(key_of(7), 12).seal("credentials", "x", SecretBytes::from("p")));
    ASSERT_FALSE(unknown);
    EXPECT_EQ(unknown.error().message, "record is sealed under unknown key id 12");
}

TEST_F(EtcdRotationTest, ACommitByAnotherHostDuringTheResealWins) {
    ASSERT_TRUE(store_->put(alice_, record_version("a", 10, 0), SecretBytes::from("RT-before")));
    auto other_host = open_store();  // has not heard of the switch
    ASSERT_TRUE(other_host->get(alice_));
    ASSERT_TRUE(store_->data_keys().rotate());
    auto pass = store_->rotation_pass();
    ASSERT_TRUE(pass) << pass.error().message;
    ASSERT_EQ(pass->stale.size(), 1u);
    // Refused under data key 1 by the key guard, sealed again under key 2.
    ASSERT_TRUE(other_host->put(alice_, record_version("a", 11, 1), SecretBytes::from("RT-rotated")));
    EXPECT_EQ(key_ids(alice_), std::make_pair(2u, 2u));
    auto r = store_->reseal(pass->stale[0]);
    ASSERT_TRUE(r) << r.error().message;
    ASSERT_EQ(r->outcome, EtcdStore::Resealed::changed);
    EXPECT_EQ(refresh_of(*open_store(), alice_), "RT-rotated") << "the commit was not overwritten";
    ASSERT_TRUE(r->now);
    auto again = store_->reseal(*r->now);  // read again: already under the new key
    ASSERT_TRUE(again);
    EXPECT_EQ(again->outcome, EtcdStore::Resealed::current);
    EXPECT_EQ(key_ids(alice_), std::make_pair(2u, 2u));
    EXPECT_EQ(refresh_of(*open_store(), alice_), "RT-rotated");
}

TEST_F(EtcdRotationTest, ARecordInARefreshIsLeftForTheNextRun) {
    ASSERT_TRUE(store_->put(alice_, record_version("a", 10, 0), SecretBytes::from("RT-a")));
    ASSERT_TRUE(store_->put(bob_, record_version("b", 10, 0), SecretBytes::from("RT-b")));
    auto holder = open_store();
    auto locked = holder->try_lock(alice_);
    ASSERT_TRUE(locked && *locked);
    auto pending = record_version("b", 11, 0);
    pending.state = CredentialState::refresh_pending;
    ASSERT_TRUE(holder->get(bob_));
    ASSERT_TRUE(holder->update(bob_, pending));  // a refresh whose lock is gone, or not yet taken
    ASSERT_TRUE(admin_->begin_rotation());
    const auto first = run_rotation();
    EXPECT_TRUE(first.done);
    EXPECT_EQ(first.resealed, 0u);
    EXPECT_EQ(first.left, 2u);
    EXPECT_EQ(key_ids(alice_).first, 1u);
    EXPECT_EQ(admin_->info()->keys, (std::vector<std::uint32_t>{1, 2})) << "key 1 is kept while records use it";
    holder->unlock(alice_);
    auto valid = record_version("b", 12, 1);
    // The refresh committed: under key 2, though the holder had not heard
    // of the switch (its write under key 1 was refused by the key guard).
    ASSERT_TRUE(holder->update(bob_, valid));
    EXPECT_EQ(key_ids(bob_), std::make_pair(2u, 2u));
    auto id = admin_->begin_rotation();
    ASSERT_TRUE(id);
    EXPECT_EQ(*id, 2u) << "a second run continues the rotation";
    const auto second = run_rotation();
    EXPECT_EQ(second.resealed, 1u) << "alice's record";
    EXPECT_EQ(second.left, 0u);
    EXPECT_EQ(key_ids(alice_), std::make_pair(2u, 2u));
    EXPECT_EQ(key_ids(bob_), std::make_pair(2u, 2u));
    EXPECT_EQ(refresh_of(*open_store(), bob_), "RT-b");
    EXPECT_EQ(admin_->info()->keys, std::vector<std::uint32_t>{2});
}

// A host that has not heard of the switch (its watch behind, or none): its
// write under the old key is refused by the key guard, and it seals again
// under the key now current.
TEST_F(EtcdRotationTest, AHostThatMissedTheSwitchSealsUnderTheNewKeyAllTheSame) {
    auto other_host = open_store();
    ASSERT_TRUE(other_host->put(alice_, record_version("a", 10, 0), SecretBytes::from("RT-a")));
    ASSERT_TRUE(store_->data_keys().rotate());
    ASSERT_TRUE(other_host->put(bob_, record_version("b", 10, 0), SecretBytes::from("RT-b")));
    EXPECT_EQ(key_ids(bob_), std::make_pair(2u, 2u));
    ASSERT_TRUE(other_host->put(bob_, record_version("b", 11, 0), SecretBytes::from("RT-b2")));
    EXPECT_EQ(key_ids(bob_), std::make_pair(2u, 2u));
    auto third = open_store();
    EXPECT_EQ(refresh_of(*third, bob_), "RT-b2");
}

// A host cut off during a whole rotation (switch, re-seal, old key deleted)
// writes afterwards: a login (put), a state change (update), a refresh's
// lock and mark and its commit. Sealed under the retired key, each would
// open on no host; every one lands under the current key.
TEST_F(EtcdRotationTest, AHostThatMissedAWholeRotationWritesNothingUnderTheRetiredKey) {
    auto late = open_store();
    ASSERT_TRUE(late->put(alice_, record_version("a", 10, 0), SecretBytes::from("RT-a")));
    ASSERT_TRUE(late->put(bob_, record_version("b", 10, 0), SecretBytes::from("RT-b")));
    ASSERT_TRUE(admin_->begin_rotation());
    EXPECT_TRUE(run_rotation().done);
    ASSERT_EQ(admin_->info()->keys, std::vector<std::uint32_t>{2}) << "key 1 is retired";
    ASSERT_TRUE(late->get(alice_));
    auto put = late->put(alice_, record_version("a", 11, 1), SecretBytes::from("RT-a2"));
    ASSERT_TRUE(put) << put.error().message;
    EXPECT_EQ(key_ids(alice_), std::make_pair(2u, 2u));
    EXPECT_EQ(refresh_of(*open_store(), alice_), "RT-a2") << "a host that starts now opens it";

    auto late2 = open_store();  // holds key 2 only; another rotation retires it
    ASSERT_TRUE(late2->get(bob_));
    ASSERT_TRUE(admin_->begin_rotation());
    EXPECT_TRUE(run_rotation().done);
    ASSERT_EQ(admin_->info()->keys, std::vector<std::uint32_t>{3});
    ASSERT_TRUE(late2->get(bob_));
    auto pending = record_version("b", 10, 0);  // as stored
    pending.state = CredentialState::refresh_pending;
    auto marked = late2->lock_and_mark(bob_, pending);
    ASSERT_TRUE(marked) << marked.error().message;
    ASSERT_EQ(marked->outcome, MarkResult::Outcome::marked);
    EXPECT_EQ(key_ids(bob_), std::make_pair(3u, 3u)) << "the pending mark";
    const SecretBytes rotated = SecretBytes::from("RT-b2");
    ASSERT_TRUE(late2->commit_and_unlock(bob_, record_version("b", 12, 1), &rotated));
    EXPECT_EQ(key_ids(bob_), std::make_pair(3u, 3u)) << "the commit";
    EXPECT_EQ(refresh_of(*open_store(), bob_), "RT-b2");
}

// A rotation switches the key while a host's refresh is at the provider:
// its commit, refused under the old key, is sealed again and lands.
TEST_F(EtcdRotationTest, ACommitAfterASwitchDuringItsRefreshIsSealedAgainNotLost) {
    ASSERT_TRUE(store_->put(alice_, record_version("a", 10, 0), SecretBytes::from("RT-a")));
    auto holder = open_store();
    ASSERT_TRUE(holder->get(alice_));
    auto pending = record_version("a", 10, 0);  // as stored
    pending.state = CredentialState::refresh_pending;
    auto marked = holder->lock_and_mark(alice_, pending);
    ASSERT_TRUE(marked && marked->outcome == MarkResult::Outcome::marked);
    EXPECT_EQ(key_ids(alice_).first, 1u) << "marked under key 1";
    ASSERT_TRUE(store_->data_keys().rotate());
    const SecretBytes rotated = SecretBytes::from("RT-a2");
    auto r = holder->commit_and_unlock(alice_, record_version("a", 11, 1), &rotated);
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_EQ(key_ids(alice_), std::make_pair(2u, 2u));
    EXPECT_EQ(refresh_of(*open_store(), alice_), "RT-a2");
    EXPECT_FALSE(*holder->locked(alice_));
}

TEST_F(EtcdRotationTest, AHostReadsADataKeyItDoesNotHoldOnce) {
    auto other_host = open_store();  // loaded data key 1 only
    ASSERT_TRUE(store_->data_keys().rotate());
    ASSERT_TRUE(store_->put(alice_, record_version("a", 10, 0), SecretBytes::from("RT-new-key")));
    EXPECT_EQ(key_ids(alice_).first, 2u);
    EXPECT_EQ(refresh_of(*other_host, alice_), "RT-new-key");
}

TEST_F(EtcdRotationTest, TwoHostsStartingAtOnceCreateOneFirstDataKey) {
    for (int round = 0; round < 5; ++round) {
        const std::string prefix = "/race" + std::to_string(round) + "/";
        auto c1 = etcd_.client();
        auto c2 = etcd_.client();
        EtcdKeys k1(*c1, prefix, Sealer(key_of(1)));
        EtcdKeys k2(*c2, prefix, Sealer(key_of(1)));
        Result<void> r1 = make_error(Errc::internal, "not run");
        std::thread t([&] { r1 = k1.load(); });
        auto r2 = k2.load();
        t.join();
        ASSERT_TRUE(r1) << r1.error().message;
        ASSERT_TRUE(r2) << r2.error().message;
        EXPECT_EQ(k1.current_id(), k2.current_id());
        auto stored = etcd_.client()->list(prefix + "meta/keys/", true);
        ASSERT_TRUE(stored);
        EXPECT_EQ(stored->kvs.size(), 1u) << "round " << round;
        const Sealer& a = *k1.current().value();
        const Sealer& b = *k2.current().value();
        auto opened = b.open("credentials", "x", a.seal("credentials", "x", SecretBytes::from("same key")));
        ASSERT_TRUE(opened) << "both hosts hold the same data key";
        EXPECT_EQ(opened->reveal(), "same key");
    }
}

TEST_F(EtcdRotationTest, ReplacingTheMasterKeyKeepsTheFleetServing) {
    ASSERT_TRUE(store_->put(alice_, record_version("a", 10, 0), SecretBytes::from("RT-a")));
    auto running_host = open_store();
    ASSERT_TRUE(running_host->get(alice_));
    ASSERT_TRUE(admin_->replace_master_key(key_of(2)));
    EXPECT_EQ(refresh_of(*running_host, alice_), "RT-a") << "a running credd goes on with the data keys it holds";
    ASSERT_TRUE(running_host->put(bob_, record_version("b", 10, 0), SecretBytes::from("RT-b")));
    auto restarted_new = open_store(2);
    ASSERT_TRUE(restarted_new);
    EXPECT_EQ(refresh_of(*restarted_new, alice_), "RT-a");
    EXPECT_EQ(refresh_of(*restarted_new, bob_), "RT-b");
    auto restarted_old = EtcdStore::open(etcd_.client(), "/credd/", Sealer(key_of(1)));
    ASSERT_FALSE(restarted_old);
    EXPECT_EQ(restarted_old.error().message, "master key does not match the etcd store at prefix \"/credd/\"");
    auto dump = etcd_.client()->list("/credd/meta/", false);
    ASSERT_TRUE(dump);
    for (const auto& kv : dump->kvs) {
        if (kv.key.starts_with("/credd/meta/keys/") || kv.key == "/credd/meta/key_check") {
            EXPECT_EQ(Sealer::key_id_of(kv.value).value_or(0), Sealer(key_of(2)).key_id()) << kv.key;
        }
    }
}

TEST_F(EtcdRotationTest, TheMasterKeyIsNotReplacedWhileARecordIsSealedUnderIt) {
    put_old_format(bob_, "b", "RT-old-format");
    auto r = admin_->replace_master_key(key_of(2));
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().message,
              "1 records are still sealed under the master key itself (written before data keys); run credctl "
              "admin rotate-key first");
    EXPECT_EQ(refresh_of(*open_store(), bob_), "RT-old-format") << "nothing changed";
}

}  // namespace
}  // namespace credctl::store
