// TokenService's single flight, driven step by step: a real LmdbStore in a
// temp dir, a fake upstream that holds each refresh until the test answers
// it, and a fake clock the test advances (token_fakes.hpp). No sleeps: the
// test runs the io_context until nothing is ready (poll) between steps.
#include "daemon/store/lmdb_store.hpp"
#include "daemon/tokens/token_service.hpp"
#include "support/run_now.hpp"
#include "token_fakes.hpp"

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>

#include <list>
#include <optional>
#include <string>

namespace credctl::tokens {
namespace {

namespace asio = boost::asio;
using test::answer_error;
using test::answer_throw;
using test::answer_tokens;
using test::Script;

// The real store, whose put() (the commit of a rotated refresh token) fails
// while `fail_put` is set.
class FailingStore final : public test::ForwardingStore {
public:
    using ForwardingStore::ForwardingStore;
    bool fail_put = false;

    Result<void> put(const store::CredentialKey& k, const store::CredentialRecord& r, const SecretBytes& t) override {
        if (fail_put) return make_error(Errc::store_full, "store: map full at its cap");
        return ForwardingStore::put(k, r, t);
    }
};

// One caller of token(): its answer once it has one, and the refresh token
// the store held at that very moment.
struct Call {
    std::optional<Result<wire::AccessToken>> answer;
    std::string stored_refresh_token;
};

class TokenFlightTest : public test::FakeSeamsTest {
protected:
    void SetUp() override {
        ASSERT_NO_FATAL_FAILURE(FakeSeamsTest::SetUp());
        store_ = std::make_unique<FailingStore>(*lmdb_);
        // The upstream is fake: the provider's endpoints are never reached.
        service_ = std::make_unique<TokenService>(io_, *store_, credctl::test::unreachable_provider_options(),
                                                  TokenServiceSeams{upstream_, clock_});
        // A login whose access token has expired: the first caller refreshes.
        store_login(*service_, std::chrono::seconds(-1));
    }

    asio::awaitable<void> ask(Call* call, std::chrono::milliseconds timeout) {
        auto answer = co_await service_->token(key_, std::chrono::seconds(60), {}, timeout);
        auto stored = lmdb_->refresh_token(key_);
        call->stored_refresh_token = stored ? std::string(stored->reveal()) : "";
        call->answer = std::move(answer);
    }
    // Starts a caller and runs everything that is ready.
    Call& start(std::chrono::milliseconds timeout = std::chrono::milliseconds::zero()) {
        auto& call = calls_.emplace_back();
        spawn(ask(&call, timeout));
        return call;
    }
    void release(Script script) {
        upstream_.release(std::move(script));
        settle();
    }
    std::string listed_state() {
        const std::string alice = "alice";
        auto l = credctl::test::run_now(io_, service_->list(alice));
        return l && l->size() == 1 ? (*l)[0].state : "(not listed)";
    }

    std::unique_ptr<FailingStore> store_;
    std::unique_ptr<TokenService> service_;
    std::list<Call> calls_;  // stable addresses for the coroutines
};

// How the one exchange ends, what each of its waiters gets, and whether the
// next caller starts a new exchange.
struct Ending {
    const char* name;
    Script script;
    std::optional<Errc> waiters_get;  // nullopt: the new token
    bool next_call_refreshes;
    const char* listed_after;
};

void PrintTo(const Ending& e, std::ostream* os) {
    *os << e.name;
}

class TokenFlightEndingTest : public TokenFlightTest, public ::testing::WithParamInterface<Ending> {};

TEST_P(TokenFlightEndingTest, OneExchangeAnswersEveryWaiter) {
    const Ending& e = GetParam();
    constexpr int k_waiters = 5;
    for (int i = 0; i < k_waiters; ++i) start();
    EXPECT_EQ(upstream_.calls, 1);
    EXPECT_EQ(upstream_.sent, std::vector<std::string>{"RT-0"});
    EXPECT_EQ(listed_state(), "refreshing");
    for (const auto& c : calls_) EXPECT_FALSE(c.answer.has_value()) << "answered before the provider";

    release(e.script);
    for (const auto& c : calls_) {
        ASSERT_TRUE(c.answer.has_value()) << "a waiter is still waiting";
        if (!e.waiters_get) {
            ASSERT_TRUE(c.answer->has_value()) << c.answer->error().message;
            EXPECT_EQ((*c.answer)->access_token.reveal(), "AT-1");
            EXPECT_EQ(c.stored_refresh_token, "RT-1") << "served before the rotated refresh token was stored";
        } else {
            ASSERT_FALSE(c.answer->has_value());
            EXPECT_EQ(c.answer->error().code, *e.waiters_get) << c.answer->error().message;
        }
    }
    EXPECT_EQ(upstream_.calls, 1);
    EXPECT_EQ(listed_state(), e.listed_after);

    Call& next = start();
    EXPECT_EQ(upstream_.calls, e.next_call_refreshes ? 2 : 1);
    if (e.next_call_refreshes) {
        EXPECT_FALSE(next.answer.has_value());
        release(answer_tokens("AT-2", "RT-2", 3600));
        ASSERT_TRUE(next.answer.has_value());
        ASSERT_TRUE(next.answer->has_value()) << next.answer->error().message;
        EXPECT_EQ((*next.answer)->access_token.reveal(), "AT-2");
    }
}

INSTANTIATE_TEST_SUITE_P(
    Endings, TokenFlightEndingTest,
    ::testing::Values(Ending{"ProviderAnswers", answer_tokens("AT-1", "RT-1", 3600), std::nullopt, false, "valid"},
                      Ending{"ProviderRejects", answer_error(Errc::login_required, "invalid_grant"),
                             Errc::login_required, false, "login_required"},
                      Ending{"ProviderUnavailable", answer_error(Errc::provider_unavailable, "503"),
                             Errc::provider_unavailable, true, "provider_unavailable"},
                      Ending{"ExchangeThrows", answer_throw("bad_alloc in a parser"), Errc::internal, true, "valid"}),
    [](const ::testing::TestParamInfo<Ending>& row) { return std::string(row.param.name); });

TEST_F(TokenFlightTest, ACallerWhoseDeadlinePassesStopsWaitingWhileTheRefreshGoesOn) {
    Call& hurried = start(std::chrono::milliseconds(2000));
    Call& patient = start();
    clock_.advance(std::chrono::seconds(1));
    settle();
    EXPECT_FALSE(hurried.answer.has_value()) << "gave up before its deadline";

    clock_.advance(std::chrono::seconds(1));
    settle();
    ASSERT_TRUE(hurried.answer.has_value());
    ASSERT_FALSE(hurried.answer->has_value());
    EXPECT_EQ(hurried.answer->error().code, Errc::provider_unavailable);
    EXPECT_EQ(hurried.answer->error().message,
              "provider demo did not answer the refresh of credentials/alice/demo within the caller's timeout of "
              "2000 ms; the refresh goes on in credd, ask again");
    EXPECT_FALSE(patient.answer.has_value());
    EXPECT_EQ(upstream_.held(), 1u) << "the refresh stopped with the caller";

    release(answer_tokens("AT-1", "RT-1", 3600));
    ASSERT_TRUE(patient.answer.has_value());
    ASSERT_TRUE(patient.answer->has_value()) << patient.answer->error().message;
    EXPECT_EQ((*patient.answer)->access_token.reveal(), "AT-1");

    Call& again = start(std::chrono::milliseconds(2000));
    ASSERT_TRUE(again.answer.has_value());
    ASSERT_TRUE(again.answer->has_value()) << again.answer->error().message;
    EXPECT_EQ((*again.answer)->access_token.reveal(), "AT-1");
    EXPECT_EQ(upstream_.calls, 1);
}

TEST_F(TokenFlightTest, ACallerAnsweredBeforeItsDeadlineIsNotWokenByIt) {
    Call& call = start(std::chrono::milliseconds(2000));
    release(answer_tokens("AT-1", "RT-1", 3600));
    ASSERT_TRUE(call.answer.has_value());
    ASSERT_TRUE(call.answer->has_value()) << call.answer->error().message;
    clock_.advance(std::chrono::seconds(5));  // the disarmed alarm must not ring into a finished wait
    settle();
    EXPECT_EQ((*call.answer)->access_token.reveal(), "AT-1");
}

asio::awaitable<void> forget(TokenService& service, store::CredentialKey key, Revoke revoke,
                             std::optional<Result<Removal>>* out) {
    *out = co_await service.remove(key, revoke, OnRevokeFailure::remove);
}

TEST_F(TokenFlightTest, ADeleteDuringARefreshWaitsForItThenForgetsTheRotatedToken) {
    Call& call = start();
    std::optional<Result<Removal>> removed;
    spawn(forget(*service_, key_, Revoke::yes, &removed));
    EXPECT_FALSE(removed.has_value()) << "the delete did not wait for the refresh";

    release(answer_tokens("AT-1", "RT-1", 3600));
    ASSERT_TRUE(call.answer.has_value());
    ASSERT_TRUE(call.answer->has_value()) << call.answer->error().message;
    EXPECT_EQ((*call.answer)->access_token.reveal(), "AT-1");
    ASSERT_TRUE(removed.has_value());
    ASSERT_TRUE(removed->has_value()) << removed->error().message;
    EXPECT_TRUE((*removed)->revoked);
    EXPECT_EQ(upstream_.revoked, std::vector<std::string>{"RT-1"}) << "revoked a refresh token already rotated";

    auto rec = lmdb_->get(key_);
    ASSERT_TRUE(rec.has_value());
    EXPECT_FALSE(rec->has_value()) << "the refresh wrote the record back after the delete";
    Call& after = start();
    ASSERT_TRUE(after.answer.has_value());
    ASSERT_FALSE(after.answer->has_value());
    EXPECT_EQ(after.answer->error().code, Errc::not_found);
    EXPECT_EQ(upstream_.calls, 1);
}

TEST_F(TokenFlightTest, APendingMarkFoundAtStartMeansLoginRequired) {
    // What a credd that died between sending the refresh token and storing
    // the answer leaves behind.
    store::CredentialRecord rec;
    rec.state = store::CredentialState::refresh_pending;
    ASSERT_TRUE(lmdb_->put(key_, rec, SecretBytes::from("RT-0")).has_value());

    Call& call = start();
    ASSERT_TRUE(call.answer.has_value());
    ASSERT_FALSE(call.answer->has_value());
    EXPECT_EQ(call.answer->error().code, Errc::login_required) << call.answer->error().message;
    EXPECT_EQ(upstream_.calls, 0) << "replayed a refresh token the provider may have rotated";
    auto stored = lmdb_->get(key_);
    ASSERT_TRUE(stored.has_value() && stored->has_value());
    EXPECT_EQ((*stored)->state, store::CredentialState::login_required);
    EXPECT_EQ(listed_state(), "login_required");
}

TEST_F(TokenFlightTest, AStoreThatFailsTheCommitAnswersNobodyWithTheNewToken) {
    for (int i = 0; i < 3; ++i) start();
    store_->fail_put = true;
    release(answer_tokens("AT-1", "RT-1", 3600));
    for (const auto& c : calls_) {
        ASSERT_TRUE(c.answer.has_value());
        ASSERT_FALSE(c.answer->has_value()) << "served a token whose rotated refresh token was not stored";
        EXPECT_EQ(c.answer->error().code, Errc::store_full);
        EXPECT_EQ(c.answer->error().message, "store: map full at its cap");
    }
    store_->fail_put = false;
    auto rt = lmdb_->refresh_token(key_);
    ASSERT_TRUE(rt.has_value());
    EXPECT_EQ(rt->reveal(), "RT-0");

    // RT-0 was spent at the provider and RT-1 is lost: the pending mark
    // stays, and nothing replays RT-0 or serves AT-1 from a cache.
    Call& next = start();
    ASSERT_TRUE(next.answer.has_value());
    ASSERT_FALSE(next.answer->has_value());
    EXPECT_EQ(next.answer->error().code, Errc::login_required) << next.answer->error().message;
    EXPECT_EQ(upstream_.calls, 1);
}

// A failing provider marks the credential provider_unavailable; a new login
// is a fresh start, not a credential still failing.
TEST_F(TokenFlightTest, ANewLoginEndsProviderUnavailable) {
    start();
    release(answer_error(Errc::provider_unavailable, "503"));
    EXPECT_EQ(listed_state(), "provider_unavailable");
    wire::StoreCredential login;
    login.refresh_token = SecretBytes::from("RT-new");
    login.access_token = SecretBytes::from("AT-new");
    login.access_expires_at = clock_.now_epoch_seconds() + 3600;
    ASSERT_TRUE(credctl::test::run_now(io_, service_->store_login(key_, std::move(login))).has_value());
    EXPECT_EQ(listed_state(), "valid");
}

}  // namespace
}  // namespace credctl::tokens
