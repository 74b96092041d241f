// What TokenService tells its notify::Events (daemon/notify/events.hpp) at
// each change of a credential's state, driven step by step with the fakes of
// token_fakes.hpp over a real LmdbStore.
#include "daemon/notify/events.hpp"
#include "daemon/store/lmdb_store.hpp"
#include "daemon/tokens/token_service.hpp"
#include "token_fakes.hpp"

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>

#include <string>
#include <vector>

namespace credctl::tokens {
namespace {

namespace asio = boost::asio;
using test::answer_error;
using test::answer_tokens;

// Each event as one line: "login_required alice demo invalid_grant".
class RecordedEvents final : public notify::Events {
public:
    std::vector<std::string> lines;
    void login_required(const std::string& u, const std::string& p, notify::Reason r) override {
        lines.push_back("login_required " + u + " " + p + " " + std::string(notify::to_string(r)));
    }
    void unavailable(const std::string& u, const std::string& p, std::int64_t since, std::int64_t now) override {
        lines.push_back("unavailable " + u + " " + p + " for " + std::to_string(now - since));
    }
    void valid(const std::string& u, const std::string& p) override { lines.push_back("valid " + u + " " + p); }
};

class TokenEventsTest : public test::FakeSeamsTest {
protected:
    void SetUp() override {
        ASSERT_NO_FATAL_FAILURE(FakeSeamsTest::SetUp());
        auto options = credctl::test::unreachable_provider_options();
        options.events = &events_;
        service_ =
            std::make_unique<TokenService>(io_, *lmdb_, std::move(options), TokenServiceSeams{upstream_, clock_});
        login();
        events_.lines.clear();
    }
    // A login whose access token has expired: the next caller refreshes.
    void login() { store_login(*service_, std::chrono::seconds(-1)); }
    asio::awaitable<void> ask() { (void)co_await service_->token(key_, std::chrono::seconds(60)); }
    void ask_and_answer(test::Script script) {
        spawn(ask());
        upstream_.release(std::move(script));
        settle();
    }
    void ask_unanswered() { spawn(ask()); }

    RecordedEvents events_;
    std::unique_ptr<TokenService> service_;
};

TEST_F(TokenEventsTest, ALoginIsValid) {
    login();
    EXPECT_EQ(events_.lines, std::vector<std::string>{"valid alice demo"});
}

TEST_F(TokenEventsTest, ARejectedRefreshTokenIsLoginRequiredForInvalidGrantOnce) {
    ask_and_answer(answer_error(Errc::login_required, "invalid_grant"));
    EXPECT_EQ(events_.lines, std::vector<std::string>{"login_required alice demo invalid_grant"});
    // Later callers are answered from the stored state: no refresh, no event.
    ask_unanswered();
    ask_unanswered();
    EXPECT_EQ(upstream_.calls, 1);
    EXPECT_EQ(events_.lines.size(), 1U);
}

TEST_F(TokenEventsTest, AnInterruptedRotationIsLoginRequired) {
    store::CredentialRecord rec;
    rec.state = store::CredentialState::refresh_pending;
    ASSERT_TRUE(lmdb_->put(key_, rec, SecretBytes::from("RT-0")).has_value());
    ask_unanswered();
    EXPECT_EQ(events_.lines, std::vector<std::string>{"login_required alice demo rotation_interrupted"});
}

TEST_F(TokenEventsTest, TransientFailuresReportHowLongTheProviderHasBeenUnavailable) {
    ask_and_answer(answer_error(Errc::provider_unavailable, "connection refused"));
    clock_.advance(std::chrono::seconds(90));
    ask_and_answer(answer_error(Errc::provider_unavailable, "connection refused"));
    EXPECT_EQ(events_.lines,
              (std::vector<std::string>{"unavailable alice demo for 0", "unavailable alice demo for 90"}));
}

TEST_F(TokenEventsTest, ARefreshThatWorksIsValid) {
    ask_and_answer(answer_error(Errc::provider_unavailable, "connection refused"));
    ask_and_answer(answer_tokens("AT-1", "RT-1", 3600));
    EXPECT_EQ(events_.lines, (std::vector<std::string>{"unavailable alice demo for 0", "valid alice demo"}));
}

}  // namespace
}  // namespace credctl::tokens
