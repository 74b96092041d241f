// TokenService over a store that answers slowly (etcd with a sick cluster),
// run on a store thread (daemon/store/store_runner.hpp): a caller whose
// access token is cached is answered while another caller's store call is
// still waiting, and the waiting caller is answered once the store answers.
#include "daemon/store/lmdb_store.hpp"
#include "daemon/store/store_runner.hpp"
#include "daemon/tokens/token_service.hpp"
#include "support/run_now.hpp"
#include "support/temp_store.hpp"
#include "temp_dir.hpp"
#include "token_fakes.hpp"

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>

#include <condition_variable>
#include <mutex>

namespace credctl::tokens {
namespace {

namespace asio = boost::asio;
using credctl::test::TempDir;

// get() of one user's credential waits until the test opens the gate (or
// 3 s pass, so that a service that waits on the I/O thread fails the test
// instead of hanging it).
class GatedStore final : public test::ForwardingStore {
public:
    GatedStore(store::Store& inner, std::string gated_user) : ForwardingStore(inner), user_(std::move(gated_user)) {}

    Result<std::optional<store::CredentialRecord>> get(const store::CredentialKey& k) override {
        if (k.user == user_) {
            std::unique_lock lock(mutex_);
            ++waiting_;
            opened_.wait_for(lock, std::chrono::seconds(3), [this] { return open_; });
            --waiting_;
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

private:
    const std::string user_;
    std::mutex mutex_;
    std::condition_variable opened_;
    bool open_ = true;
    int waiting_ = 0;
};

struct Asked {
    std::optional<Result<wire::AccessToken>> answer;
};

asio::awaitable<void> ask(TokenService& service, store::CredentialKey key, Asked& out) {
    out.answer = co_await service.token(key, std::chrono::seconds(60));
}

asio::awaitable<void> ask_scoped(TokenService& service, store::CredentialKey key, Asked& out) {
    std::vector<std::string> scopes{"read"};
    out.answer = co_await service.token(key, std::chrono::seconds(60), std::move(scopes));
}

class TokenSlowStoreTest : public ::testing::Test {
protected:
    void SetUp() override {
        auto s = credctl::test::open_temp_store(dir_);
        ASSERT_TRUE(s.has_value()) << s.error().message;
        lmdb_ = std::move(*s);
        gated_ = std::make_unique<GatedStore>(*lmdb_, "bob");
        runner_ = std::make_unique<store::StoreRunner>(*gated_, store::StorePlacement::own_thread);
        service_ = std::make_unique<TokenService>(
            io_, *runner_, TokenServiceOptions{{credctl::test::unreachable_provider()}, std::chrono::seconds(5)},
            TokenServiceSeams{upstream_, clock_});
        login(alice_, "AT-alice");
        login(bob_, "AT-bob");
    }
    void TearDown() override {
        gated_->open();
        service_.reset();
        runner_.reset();
    }
    void login(const store::CredentialKey& key, const std::string& access_token) {
        wire::StoreCredential l;
        l.refresh_token = SecretBytes::from("RT-" + key.user);
        l.access_token = SecretBytes::from(access_token);
        l.access_expires_at = clock_.now_epoch_seconds() + 3600;
        ASSERT_TRUE(credctl::test::run_now(io_, service_->store_login(key, std::move(l))).has_value());
    }

    TempDir dir_;
    asio::io_context io_;
    std::unique_ptr<store::LmdbStore> lmdb_;
    std::unique_ptr<GatedStore> gated_;
    std::unique_ptr<store::StoreRunner> runner_;
    test::FakeClock clock_;
    test::FakeUpstream upstream_;
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

}  // namespace
}  // namespace credctl::tokens
