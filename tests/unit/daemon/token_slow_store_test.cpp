// TokenService over a store that answers slowly (etcd with a sick cluster),
// run on a store thread (daemon/store/store_runner.hpp): a caller whose
// access token is cached is answered while another caller's store call is
// still waiting, and the waiting caller is answered once the store answers.
#include "daemon/store/lmdb_store.hpp"
#include "daemon/store/store_runner.hpp"
#include "daemon/tokens/token_service.hpp"
#include "support/run_now.hpp"
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

}  // namespace
}  // namespace credctl::tokens
