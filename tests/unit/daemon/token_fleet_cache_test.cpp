// What a host of a fleet keeps cached of a credential (daemon/tokens/
// token_cache.hpp) as the store's changes come through its watch
// (docs/fleet.md "Cache coherence"), and what a caller over its pace of
// refreshes (refresh_pace.hpp) is served then: two real EtcdStores on one
// real etcd, standing for two hosts (token_fleet_fixture.hpp).
#include "token_fleet_fixture.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace credctl::tokens {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using test::TokenFleetEtcdTest;

// A host's own refresh comes back to it through its watch. Before, that echo
// made it forget the down-scoped token it had just cached, so on a fleet
// every down-scoped request was a refresh at the provider. Another host's
// change is still forgotten: a login through B makes A read the record
// again.
TEST_F(TokenFleetEtcdTest, AHostsOwnRefreshComingBackThroughItsWatchKeepsWhatItCached) {
    const auto ask_a = [&](const test::Script& script) { return read_on(&a_, script); };
    drain(a_);  // the login of SetUp() comes back first (a login's echo is a change)
    auto first = ask_a(test::answer_tokens("AT-read-1", "RT-1", 3600));
    ASSERT_TRUE(first && *first) << (first ? first->error().message : "no answer");
    ASSERT_EQ(a_.upstream.calls, 1);
    // The watch delivers the pending mark and the commit meanwhile (late,
    // they would only make this test pass on the code before).
    std::this_thread::sleep_for(milliseconds(300));
    auto again = ask_a(test::answer_tokens("AT-read-2", "RT-2", 3600));
    ASSERT_TRUE(again && *again) << (again ? again->error().message : "no answer");
    EXPECT_EQ((*again)->access_token.reveal(), "AT-read-1");
    EXPECT_EQ(a_.upstream.calls, 1) << "A refreshed again after its own refresh came back through its watch";

    auto login = test::login_until(clock_.now_epoch_seconds() + 3600, "RT-B", "AT-B");
    ASSERT_TRUE(credctl::test::run_now(io_, b_.service->store_login(key_, std::move(login))).has_value());
    // Once A's watch delivers the login, A no longer finds its token (at most 10 s).
    for (int i = 0; i < 200 && a_.service->cached(key_, seconds(60), {"read"}); ++i) {
        std::this_thread::sleep_for(milliseconds(50));
    }
    auto after_login = ask_a(test::answer_tokens("AT-read-3", "RT-3", 3600));
    ASSERT_TRUE(after_login && *after_login) << (after_login ? after_login->error().message : "no answer");
    EXPECT_EQ((*after_login)->access_token.reveal(), "AT-read-3");
    EXPECT_EQ(a_.upstream.calls, 2) << "B's login did not make A forget its down-scoped token";
}

// Two hosts serving down-scoped tokens of one credential, each caller with
// a budget of one refresh: each one's refresh makes the other set aside
// what it cached.
class TokenFleetPaceTest : public TokenFleetEtcdTest {
protected:
    static constexpr std::uint64_t k_caller = 1001;

    void SetUp() override {
        ASSERT_NO_FATAL_FAILURE(TokenFleetEtcdTest::SetUp());
        auto options = TokenServiceOptions{{credctl::test::unreachable_provider()}, seconds(5)};
        options.pace = {1, seconds(3600)};
        for (Host* h : {&a_, &b_}) h->service.emplace(io_, *h->store, options, TokenServiceSeams{h->upstream, clock_});
    }
    bool login_on_b(const std::string& subject, const std::string& refresh_token) {
        auto login = test::login_until(clock_.now_epoch_seconds() + 3600, refresh_token, "AT-" + refresh_token);
        login.subject = subject;
        return credctl::test::run_now(io_, b_.service->store_login(key_, std::move(login))).has_value();
    }
    // A caches "read" for `caller`, then B refreshes it: true once A's watch
    // has delivered B's refresh (A no longer finds its token; at most 10 s).
    bool cached_on_a_then_refreshed_on_b(std::uint64_t caller) {
        auto on_a = read_on(&a_, test::answer_tokens("AT-read-A", "RT-A", 3600), caller);
        auto on_b = read_on(&b_, test::answer_tokens("AT-read-B", "RT-B", 3600), caller);
        if (!on_a || !*on_a || !on_b || !*on_b) return false;
        for (int i = 0; i < 200; ++i) {
            if (!a_.service->cached(key_, seconds(60), {"read"})) return true;
            std::this_thread::sleep_for(milliseconds(50));
        }
        return false;
    }
    // Asks on A until the answer is a refusal (`refused`) or a token, at
    // most 10 s: A's watch delivers B's login in its own time.
    Answer ask_a_until(bool refused) {
        Answer answer;
        for (int i = 0; i < 100; ++i) {
            answer = read_on(&a_, test::answer_tokens("AT-never", "RT-never", 3600), k_caller);
            if (answer && static_cast<bool>(*answer) != refused) return answer;
            std::this_thread::sleep_for(milliseconds(100));
        }
        return answer;
    }
};

// A caller over its budget on A is served the token A cached before B's
// refresh (still valid, the record still naming its subject), not refused;
// once a login through B names another subject, or none, it is refused.
TEST_F(TokenFleetPaceTest, OverItsBudgetACallerGetsTheTokenCachedBeforeAnotherHostsRefresh) {
    ASSERT_TRUE(login_on_b("sub-1", "RT-L1"));
    drain(a_);
    drain(b_);
    ASSERT_TRUE(cached_on_a_then_refreshed_on_b(k_caller));
    auto again = ask_a_until(false);
    ASSERT_TRUE(again && *again) << (again ? again->error().message : "no answer");
    EXPECT_EQ((*again)->access_token.reveal(), "AT-read-A");
    for (const std::string subject : {"another-account", ""}) {
        // A login as sub-1 again, seen by A once it serves the token again.
        ASSERT_TRUE(login_on_b("sub-1", "RT-again-" + subject));
        auto served = ask_a_until(false);
        ASSERT_TRUE(served && *served) << "A refused the token of sub-1 after a login as sub-1";
        EXPECT_EQ((*served)->access_token.reveal(), "AT-read-A");
        ASSERT_TRUE(login_on_b(subject, "RT-" + subject));
        auto refused = ask_a_until(true);
        ASSERT_TRUE(refused && !*refused) << "subject \"" << subject << "\": served a token of sub-1";
        EXPECT_EQ(refused->error().code, Errc::too_many_requests);
    }
    EXPECT_EQ(a_.upstream.calls, 1);
}

// A record that names no subject (a provider without ID tokens) cannot tell
// one account from another: a token set aside is never served.
TEST_F(TokenFleetPaceTest, UnderARecordNamingNoSubjectATokenSetAsideIsNeverServed) {
    drain(a_);  // the login of SetUp(), subject ""
    ASSERT_TRUE(cached_on_a_then_refreshed_on_b(k_caller));
    auto refused = read_on(&a_, test::answer_tokens("AT-never", "RT-never", 3600), k_caller);
    ASSERT_TRUE(refused);
    ASSERT_FALSE(*refused) << "served " << (*refused)->access_token.reveal();
    EXPECT_EQ(refused->error().code, Errc::too_many_requests);
    EXPECT_EQ(a_.upstream.calls, 1);
}

}  // namespace
}  // namespace credctl::tokens
