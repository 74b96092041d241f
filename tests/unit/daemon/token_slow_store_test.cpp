// TokenService over a store that answers slowly (etcd with a sick cluster),
// run on a store thread (daemon/store/store_runner.hpp): a caller whose
// access token is cached is answered while another caller's store call is
// still waiting, and the waiting caller is answered once the store answers.
#include "daemon/store/change_feed.hpp"
#include "daemon/store/lmdb_store.hpp"
#include "daemon/store/refresh_lock.hpp"
#include "daemon/store/store_runner.hpp"
#include "daemon/tokens/token_service.hpp"
#include "support/run_now.hpp"
#include "token_fakes.hpp"

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>

#include <algorithm>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <utility>

namespace credctl::tokens {
namespace {

namespace asio = boost::asio;

// get() of one user's credential waits until the test opens the gate (or
// 3 s pass, so that a service that waits on the I/O thread fails the test
// instead of hanging it).
class GatedStore final : public test::ForwardingStore {
public:
    GatedStore(store::Store& inner, std::string gated_user) : ForwardingStore(inner), user_(std::move(gated_user)) {}

    Result<std::optional<store::CredentialRecord>> get(const store::CredentialKey& k) override {
        if (k.user == user_) {
            std::unique_lock lock(mutex_);
            ++gets_;
            ++waiting_;
            opened_.wait_for(lock, std::chrono::seconds(3), [this] { return open_; });
            --waiting_;
            if (throws_) throw std::runtime_error("the store broke");
        }
        return ForwardingStore::get(k);
    }
    void close() {
        std::lock_guard lock(mutex_);
        open_ = false;
    }
    void open() {
        {
            std::lock_guard lock(mutex_);
            open_ = true;
        }
        opened_.notify_all();
    }
    int waiting() {
        std::lock_guard lock(mutex_);
        return waiting_;
    }
    // From now on, a read of the gated user's records throws.
    void throw_on_read() {
        std::lock_guard lock(mutex_);
        throws_ = true;
    }
    // Reads of the gated user's records so far.
    int gets() {
        std::lock_guard lock(mutex_);
        return gets_;
    }

private:
    const std::string user_;
    std::mutex mutex_;
    std::condition_variable opened_;
    bool open_ = true;
    int waiting_ = 0;
    int gets_ = 0;
    bool throws_ = false;
};

struct Asked {
    std::optional<Result<wire::AccessToken>> answer;
    bool threw = false;  // the exception that came out of token()
};

asio::awaitable<void> ask(TokenService& service, store::CredentialKey key, Asked& out) {
    out.answer = co_await service.token(key, std::chrono::seconds(60));
}

// Asks for a token valid for two hours: longer than the one cached, so the
// request reads the store and refreshes.
asio::awaitable<void> ask_fresher(TokenService& service, store::CredentialKey key, Asked& out) {
    try {
        out.answer = co_await service.token(key, std::chrono::seconds(7200));
    } catch (const std::exception&) {
        out.threw = true;
    }
}

asio::awaitable<void> ask_scoped(TokenService& service, store::CredentialKey key, Asked& out) {
    std::vector<std::string> scopes{"read"};
    out.answer = co_await service.token(key, std::chrono::seconds(60), std::move(scopes));
}

class TokenSlowStoreTest : public test::FakeSeamsTest {
protected:
    void SetUp() override {
        ASSERT_NO_FATAL_FAILURE(FakeSeamsTest::SetUp());
        gated_ = std::make_unique<GatedStore>(*lmdb_, "bob");
        runner_ = std::make_unique<store::StoreRunner>(*gated_, store::StorePlacement::own_thread);
        service_ = std::make_unique<TokenService>(io_, *runner_, credctl::test::unreachable_provider_options(),
                                                  TokenServiceSeams{upstream_, clock_});
        store_login(*service_, std::chrono::seconds(3600), alice_, "RT-alice", "AT-alice");
        store_login(*service_, std::chrono::seconds(3600), bob_, "RT-bob", "AT-bob");
    }
    void TearDown() override {
        gated_->open();
        service_.reset();
        runner_.reset();
    }

    // Every caller in `asked` asks for bob's token at once (ask_fresher)
    // while the gate is closed; the gate opens once the first read reached
    // it. True when every caller was answered or threw within 5 s.
    bool all_ask_at_once(std::vector<Asked>& asked) {
        gated_->close();
        for (auto& a : asked) asio::co_spawn(io_, ask_fresher(*service_, bob_, a), asio::detached);
        if (!credctl::test::run_until(
                io_, [&] { return gated_->waiting() == 1; }, std::chrono::seconds(2))) {
            return false;
        }
        gated_->open();
        return credctl::test::run_until(
            io_,
            [&] { return std::all_of(asked.begin(), asked.end(), [](const Asked& a) { return a.threw || a.answer; }); },
            std::chrono::seconds(5));
    }

    std::unique_ptr<GatedStore> gated_;
    std::unique_ptr<store::StoreRunner> runner_;
    std::unique_ptr<TokenService> service_;
    const store::CredentialKey alice_{"alice", "demo"};
    const store::CredentialKey bob_{"bob", "demo"};
};

TEST_F(TokenSlowStoreTest, ASlowStoreCallDoesNotDelayACachedAnswerForAnotherCredential) {
    gated_->close();
    Asked bob, alice;
    // Both tokens are cached by their logins; bob asks for a scope set never
    // cached, so his request reads the store (start_refresh).
    asio::co_spawn(io_, ask_scoped(*service_, bob_, bob), asio::detached);
    ASSERT_TRUE(credctl::test::run_until(
        io_, [&] { return gated_->waiting() == 1; }, std::chrono::seconds(2)))
        << "bob's request never reached the store";
    asio::co_spawn(io_, ask(*service_, alice_, alice), asio::detached);
    ASSERT_TRUE(credctl::test::run_until(
        io_, [&] { return alice.answer.has_value(); }, std::chrono::seconds(1)))
        << "alice's cached token waited for bob's store call";
    EXPECT_FALSE(bob.answer.has_value()) << "bob was answered before the store answered him";
    ASSERT_TRUE(*alice.answer) << alice.answer->error().message;
    EXPECT_EQ((*alice.answer)->access_token.reveal(), "AT-alice");

    gated_->open();
    ASSERT_TRUE(credctl::test::run_until(io_, [&] { return upstream_.held() == 1; }))
        << "bob's down-scoped request did not go on to a refresh once the store answered";
    upstream_.release(test::answer_tokens("AT-bob-read", "", 3600));
    ASSERT_TRUE(credctl::test::run_until(io_, [&] { return bob.answer.has_value(); }));
    ASSERT_TRUE(*bob.answer) << bob.answer->error().message;
    EXPECT_EQ((*bob.answer)->access_token.reveal(), "AT-bob-read");
}

TEST_F(TokenSlowStoreTest, CallersArrivingDuringARecordReadWaitForItInsteadOfReadingAgain) {
    const int before = gated_->gets();  // the login's read, in SetUp()
    gated_->close();
    constexpr int k_callers = 50;
    std::vector<Asked> asked(k_callers);
    asio::co_spawn(io_, ask_fresher(*service_, bob_, asked[0]), asio::detached);
    ASSERT_TRUE(credctl::test::run_until(
        io_, [&] { return gated_->waiting() == 1; }, std::chrono::seconds(2)))
        << "the first request never reached the store";
    for (int i = 1; i < k_callers; ++i) asio::co_spawn(io_, ask_fresher(*service_, bob_, asked[i]), asio::detached);
    // Every caller has had its turn on the I/O thread while the read waits
    // (on the store thread, behind it, the reads they would queue).
    credctl::test::run_until(
        io_, [] { return false; }, std::chrono::milliseconds(200));

    gated_->open();
    ASSERT_TRUE(credctl::test::run_until(io_, [&] { return upstream_.held() == 1; }))
        << "the read did not go on to a refresh";
    upstream_.release(test::answer_tokens("AT-bob-2", "", 3 * 3600));
    ASSERT_TRUE(credctl::test::run_until(io_, [&] {
        return std::all_of(asked.begin(), asked.end(), [](const Asked& a) { return a.answer.has_value(); });
    })) << "not every caller was answered";
    for (const auto& a : asked) {
        ASSERT_TRUE(*a.answer) << a.answer->error().message;
        EXPECT_EQ((*a.answer)->access_token.reveal(), "AT-bob-2");
    }
    EXPECT_EQ(upstream_.calls, 1);
    EXPECT_EQ(gated_->gets() - before, 1) << "callers arriving during the read read the record again";
}

TEST_F(TokenSlowStoreTest, CallersWaitingForARecordReadGetItsError) {
    auto erased = lmdb_->erase(bob_);
    ASSERT_TRUE(erased && *erased) << "bob's credential was not there to erase";
    const int before = gated_->gets();
    std::vector<Asked> asked(20);
    ASSERT_TRUE(all_ask_at_once(asked)) << "not every caller was answered";
    for (const auto& a : asked) {
        ASSERT_TRUE(a.answer) << "a caller threw";
        ASSERT_FALSE(*a.answer);
        EXPECT_EQ(a.answer->error().code, Errc::not_found) << a.answer->error().message;
    }
    EXPECT_EQ(gated_->gets() - before, 1) << "each caller read the missing record for itself";
    EXPECT_EQ(upstream_.calls, 0);
}

// A read that throws (a bug: stores report errors as values) reaches the
// caller that made it, as before; the callers waiting for it are answered
// internal instead of waiting on a read that never ends.
TEST_F(TokenSlowStoreTest, CallersWaitingForARecordReadThatThrowsAreAnsweredInternal) {
    gated_->throw_on_read();
    std::vector<Asked> asked(10);
    ASSERT_TRUE(all_ask_at_once(asked)) << "a caller still waits on the read that threw";
    EXPECT_TRUE(asked[0].threw);
    for (std::size_t i = 1; i < asked.size(); ++i) {
        ASSERT_TRUE(asked[i].answer) << "caller " << i << " threw";
        ASSERT_FALSE(*asked[i].answer);
        EXPECT_EQ(asked[i].answer->error().code, Errc::internal) << asked[i].answer->error().message;
    }
    EXPECT_EQ(upstream_.calls, 0);
}

// One host's refresh lock, always free, and a change feed, over the real
// store. unlock() (the last store call of a refresh, made after the new
// token is cached and before its waiters wake) is where the test lets a
// caller in: it posts `at_unlock` to the I/O thread and has the feed report
// the credential, as an etcd watch delivering the refresh's own commit late.
class FeedingLockStore final : public test::ForwardingStore, public store::RefreshLock, public store::ChangeFeed {
public:
    FeedingLockStore(store::Store& inner, asio::io_context& io) : ForwardingStore(inner), io_(io) {}
    std::function<void()> at_unlock;  // set before the refresh starts

    store::RefreshLock* refresh_lock() override { return this; }
    store::ChangeFeed* change_feed() override { return this; }
    Result<std::optional<store::CredentialRecord>> get_to_refresh(const store::CredentialKey& k) override {
        return get(k);
    }
    Result<bool> settle() override { return true; }
    Result<store::MarkResult> lock_and_mark(const store::CredentialKey& k, const store::CredentialRecord& r) override {
        if (auto u = update(k, r); !u) return u.error();
        return store::MarkResult{store::MarkResult::Outcome::marked, std::nullopt};
    }
    Result<bool> keep_alive(const store::CredentialKey&) override { return true; }
    Result<void> commit_and_unlock(const store::CredentialKey& k, const store::CredentialRecord& r,
                                   const SecretBytes* rotated) override {
        return rotated != nullptr ? put(k, r, *rotated) : update(k, r);
    }
    void unlock(const store::CredentialKey& k) override {
        if (!at_unlock) return;
        {
            std::lock_guard lock(mutex_);
            reported_ = k;
        }
        asio::post(io_, std::exchange(at_unlock, nullptr));
    }
    Result<bool> locked(const store::CredentialKey&) override { return false; }
    Result<store::LockView> look(const store::CredentialKey& k) override {
        auto r = get(k);
        if (!r) return r.error();
        return store::LockView{false, std::move(*r)};
    }
    std::chrono::seconds lease() const override { return std::chrono::seconds(10); }
    store::Changes take() override {
        std::lock_guard lock(mutex_);
        if (!reported_) return {};
        store::Changes changes{false, {*reported_}};
        reported_.reset();
        return changes;
    }

private:
    asio::io_context& io_;
    std::mutex mutex_;
    std::optional<store::CredentialKey> reported_;
};

class TokenFeedRaceTest : public test::FakeSeamsTest {
protected:
    void SetUp() override {
        ASSERT_NO_FATAL_FAILURE(FakeSeamsTest::SetUp());
        store_ = std::make_unique<FeedingLockStore>(*lmdb_, io_);
        runner_ = std::make_unique<store::StoreRunner>(*store_, store::StorePlacement::own_thread);
        service_ = std::make_unique<TokenService>(io_, *runner_, credctl::test::unreachable_provider_options(),
                                                  TokenServiceSeams{upstream_, clock_});
        store_login(*service_, std::chrono::seconds(-1));  // expired: the first caller refreshes
    }
    void TearDown() override {
        service_.reset();
        runner_.reset();
    }

    std::unique_ptr<FeedingLockStore> store_;
    std::unique_ptr<store::StoreRunner> runner_;
    std::unique_ptr<TokenService> service_;
};

// A caller arriving after the refresh cached its token and before its
// waiters woke, with the change feed reporting that credential, makes the
// cache forget the token: the waiters, the late caller among them, are
// answered with it all the same, and nothing is refreshed again.
TEST_F(TokenFeedRaceTest, WaitersGetTheRefreshedTokenThoughTheFeedMadeTheCacheForgetIt) {
    Asked first, second, late;
    asio::co_spawn(io_, ask(*service_, key_, first), asio::detached);
    asio::co_spawn(io_, ask(*service_, key_, second), asio::detached);
    ASSERT_TRUE(credctl::test::run_until(
        io_, [&] { return upstream_.held() == 1; }, std::chrono::seconds(2)));
    store_->at_unlock = [&] { asio::co_spawn(io_, ask(*service_, key_, late), asio::detached); };
    upstream_.release(test::answer_tokens("AT-1", "RT-1", 3600));
    ASSERT_TRUE(credctl::test::run_until(
        io_, [&] { return first.answer && second.answer && late.answer; }, std::chrono::seconds(5)));
    for (const Asked* a : {&first, &second, &late}) {
        ASSERT_TRUE(a->answer->has_value()) << a->answer->error().message;
        EXPECT_EQ((*a->answer)->access_token.reveal(), "AT-1");
    }
    EXPECT_EQ(upstream_.calls, 1);
}

}  // namespace
}  // namespace credctl::tokens
