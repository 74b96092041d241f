// Fakes of TokenService's seams (daemon/tokens/clock.hpp, upstream.hpp) for
// unit tests: a clock the test advances by hand, and an upstream whose every
// refresh is held until the test answers it. Both run on the test's
// io_context, so a test drives them with io.poll() and never sleeps.
// ForwardingStore passes every call to a real store: a test derives from it
// to fail or watch the one call it is about. FakeSeamsTest is the fixture
// of the tests that build a TokenService over a temp store with these fakes.
#pragma once

#include "common/wire/wire.hpp"
#include "daemon/store/store.hpp"
#include "daemon/tokens/clock.hpp"
#include "daemon/tokens/token_service.hpp"
#include "daemon/tokens/upstream.hpp"
#include "support/run_now.hpp"
#include "support/temp_store.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <functional>
#include <list>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace credctl::tokens::test {

// The login the tests start from: refresh token "RT-0", access token "AT-0"
// (unless named) valid until `expires_at` (UTC seconds; in the past, the
// first caller refreshes).
inline wire::StoreCredential login_until(std::int64_t expires_at, const std::string& refresh_token = "RT-0",
                                         const std::string& access_token = "AT-0") {
    wire::StoreCredential login;
    login.refresh_token = SecretBytes::from(refresh_token);
    login.access_token = SecretBytes::from(access_token);
    login.access_expires_at = expires_at;
    return login;
}

class ForwardingStore : public store::Store {
public:
    explicit ForwardingStore(store::Store& inner) : inner_(inner) {}

    Result<void> put(const store::CredentialKey& k, const store::CredentialRecord& r, const SecretBytes& t) override {
        return inner_.put(k, r, t);
    }
    Result<void> update(const store::CredentialKey& k, const store::CredentialRecord& r) override {
        return inner_.update(k, r);
    }
    Result<std::optional<store::CredentialRecord>> get(const store::CredentialKey& k) override { return inner_.get(k); }
    Result<SecretBytes> refresh_token(const store::CredentialKey& k) override { return inner_.refresh_token(k); }
    Result<std::vector<store::CredentialKey>> keys(const std::string& user) override { return inner_.keys(user); }
    Result<bool> erase(const store::CredentialKey& k) override { return inner_.erase(k); }
    Result<std::uint64_t> count() override { return inner_.count(); }

private:
    store::Store& inner_;
};

class FakeClock final : public Clock {
public:
    std::int64_t now_epoch_seconds() const override { return epoch_seconds_; }
    SteadyTime steady_now() const override { return steady_; }
    std::unique_ptr<Alarm> alarm(SteadyTime at, std::function<void()> wake) override {
        auto armed = std::make_shared<bool>(true);
        alarms_.push_back({at, std::move(wake), armed});
        return std::make_unique<FakeAlarm>(std::move(armed));
    }

    // Moves both clocks on and rings the armed alarms whose time has come.
    void advance(std::chrono::seconds d) {
        epoch_seconds_ += d.count();
        steady_ += d;
        auto due = std::move(alarms_);
        alarms_.clear();
        for (auto& a : due) {
            if (!*a.armed) continue;
            if (a.at <= steady_) {
                a.wake();
            } else {
                alarms_.push_back(std::move(a));
            }
        }
    }

private:
    struct FakeAlarm final : Alarm {
        explicit FakeAlarm(std::shared_ptr<bool> a) : armed(std::move(a)) {}
        ~FakeAlarm() override { *armed = false; }
        std::shared_ptr<bool> armed;
    };
    struct Pending {
        SteadyTime at;
        std::function<void()> wake;
        std::shared_ptr<bool> armed;
    };
    std::int64_t epoch_seconds_ = 1'700'000'000;
    SteadyTime steady_ = SteadyTime{} + std::chrono::hours(1);
    std::vector<Pending> alarms_;
};

// What the provider does with one held refresh: answer, or throw.
using Script = std::function<Attempt<oauth::TokenSet>()>;

inline Script answer_tokens(std::string access_token, std::string rotated_refresh_token, std::int64_t expires_in) {
    return [=] {
        oauth::TokenSet t;
        t.access_token = SecretBytes::from(access_token);
        if (!rotated_refresh_token.empty()) t.refresh_token = SecretBytes::from(rotated_refresh_token);
        t.token_type = "Bearer";
        t.expires_in = expires_in;
        return Attempt<oauth::TokenSet>{std::move(t), false};
    };
}

inline Script answer_error(Errc code, std::string message) {
    return [=] { return Attempt<oauth::TokenSet>{make_error(code, message), false}; };
}

inline Script answer_throw(std::string what) {
    return [=]() -> Attempt<oauth::TokenSet> { throw std::runtime_error(what); };
}

class FakeUpstream final : public Upstream {
public:
    int calls = 0;                     // refreshes asked for
    std::vector<std::string> sent;     // the refresh token each one carried
    std::vector<std::string> revoked;  // refresh tokens revoked

    boost::asio::awaitable<Attempt<oauth::TokenSet>> refresh(const ProviderConfig&, const SecretBytes& refresh_token,
                                                             const std::vector<std::string>&,
                                                             std::shared_ptr<Warmup>) override {
        ++calls;
        sent.emplace_back(refresh_token.reveal());
        boost::asio::steady_timer parked(co_await boost::asio::this_coro::executor,
                                         boost::asio::steady_timer::time_point::max());
        held_.push_back({&parked, nullptr});
        auto* me = &held_.back();
        co_await parked.async_wait(boost::asio::as_tuple(boost::asio::use_awaitable));
        Script script = std::move(me->script);
        std::erase_if(held_, [me](const Held& h) { return &h == me; });
        co_return script();
    }
    boost::asio::awaitable<Result<void>> revoke(const ProviderConfig&, const SecretBytes& refresh_token) override {
        revoked.emplace_back(refresh_token.reveal());
        co_return Result<void>{};
    }
    std::uint64_t attempts() const override { return static_cast<std::uint64_t>(calls); }

    // Refreshes waiting for an answer.
    [[nodiscard]] std::size_t held() const {
        std::size_t n = 0;
        for (const auto& h : held_) n += h.script ? 0 : 1;
        return n;
    }
    // Answers the oldest held refresh with `script` (it runs when the
    // refresh resumes, at the next io.poll()).
    void release(Script script) {
        for (auto& h : held_) {
            if (h.script) continue;
            h.script = std::move(script);
            h.timer->cancel();
            return;
        }
        throw std::logic_error("no refresh is held");
    }

private:
    struct Held {
        boost::asio::steady_timer* timer;
        Script script;
    };
    std::list<Held> held_;  // a list keeps `me` valid while others come and go
};

// A TokenService over `store` with these fakes (the unreachable provider
// `demo`, 5 s) in `service`, and a login of `key` through it whose access
// token has expired: its first caller refreshes.
// `store` is a store::Store (called inline) or a store::StoreRunner.
template <class StoreOrRunner>
void serve_expired_login(boost::asio::io_context& io, StoreOrRunner& store, FakeUpstream& upstream, FakeClock& clock,
                         const store::CredentialKey& key, std::optional<TokenService>& service) {
    service.emplace(io, store, TokenServiceOptions{{credctl::test::unreachable_provider()}, std::chrono::seconds(5)},
                    TokenServiceSeams{upstream, clock});
    auto login = login_until(clock.now_epoch_seconds() - 1);
    ASSERT_TRUE(credctl::test::run_now(io, service->store_login(key, std::move(login))).has_value());
}

// The temp store of TempStoreTest with a fake clock and upstream for the
// TokenService a deriving fixture builds over them, and the credential
// key_ its tests are about.
class FakeSeamsTest : public credctl::test::TempStoreTest {
protected:
    // Stores a login of `key` through `service` (login_until) whose access
    // token expires `valid_for` from the fake clock's now (negative: expired).
    void store_login(TokenService& service, std::chrono::seconds valid_for, const store::CredentialKey& key,
                     const std::string& refresh_token, const std::string& access_token) {
        auto login = login_until(clock_.now_epoch_seconds() + valid_for.count(), refresh_token, access_token);
        ASSERT_TRUE(credctl::test::run_now(io_, service.store_login(key, std::move(login))).has_value());
    }
    void store_login(TokenService& service, std::chrono::seconds valid_for) {
        store_login(service, valid_for, key_, "RT-0", "AT-0");
    }

    FakeClock clock_;
    FakeUpstream upstream_;
    store::CredentialKey key_{"alice", "demo"};
};

}  // namespace credctl::tokens::test
