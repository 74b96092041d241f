// TokenService over a real LmdbStore and a real HTTP token endpoint on
// loopback: the refresh token is opened (Store::refresh_token) only when a
// refresh or a revocation needs it, never to serve a cached or stored access
// token, to list, or to mark a state (docs/store-format.md "`credentials`").
#include "daemon/tokens/token_service.hpp"
#include "daemon/store/lmdb_store.hpp"
#include "daemon/store/store_runner.hpp"

#include "common/log/log.hpp"
#include "support/capture.hpp"
#include "support/loopback_listen.hpp"
#include "support/run_now.hpp"
#include "temp_dir.hpp"
#include "token_fakes.hpp"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>

#include <atomic>
#include <chrono>
#include <ctime>
#include <functional>
#include <regex>
#include <string>
#include <thread>
#include <vector>

namespace credctl::tokens {
namespace {

namespace asio = boost::asio;
using credctl::test::TempDir;

// Counts the openings of refresh tokens; everything else goes straight to
// the real store.
class CountingStore final : public test::ForwardingStore {
public:
    using ForwardingStore::ForwardingStore;
    int opened = 0;
    // Called as each pending mark is written, before it is.
    std::function<void()> on_pending_mark;

    Result<SecretBytes> refresh_token(const store::CredentialKey& k) override {
        ++opened;
        return ForwardingStore::refresh_token(k);
    }
    Result<void> update(const store::CredentialKey& k, const store::CredentialRecord& r) override {
        if (r.state == store::CredentialState::refresh_pending) {
            if (on_pending_mark) on_pending_mark();
            marks.fetch_add(1);
        }
        return ForwardingStore::update(k, r);
    }
    Result<void> put(const store::CredentialKey& k, const store::CredentialRecord& r,
                     const SecretBytes& refresh_token) override {
        auto stored = ForwardingStore::put(k, r, refresh_token);
        puts.fetch_add(1);
        return stored;
    }
    // Pending marks written, and records put (logins, rotated tokens): from
    // whichever thread the store is called on.
    std::atomic<int> marks{0};
    std::atomic<int> puts{0};
};

// A token endpoint on 127.0.0.1 answering each request with a new access
// token and a rotated refresh token; keeps the request bodies.
class TokenEndpoint {
public:
    TokenEndpoint() {
        fd_ = credctl::test::listen_loopback(&port_);
        if (fd_ < 0) ADD_FAILURE() << "cannot listen on loopback";
        thread_ = std::thread([this] { serve(); });
    }
    ~TokenEndpoint() {
        ::shutdown(fd_, SHUT_RDWR);
        ::close(fd_);
        thread_.join();
    }
    std::string url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/token"; }
    // Requests read whole so far.
    int served() const { return served_.load(); }
    std::vector<std::string> bodies() const {
        std::vector<std::string> out;
        for (int i = 0; i < served_.load(); ++i) out.push_back(bodies_[static_cast<std::size_t>(i)]);
        return out;
    }

private:
    void serve() {
        for (int n = 1;; ++n) {
            const int c = ::accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
            if (c < 0) return;
            std::string req;
            char buf[4096];
            std::size_t body_at = std::string::npos;
            std::size_t length = 0;
            for (;;) {
                const ssize_t got = ::read(c, buf, sizeof buf);
                if (got <= 0) break;
                req.append(buf, static_cast<std::size_t>(got));
                if (body_at == std::string::npos && (body_at = req.find("\r\n\r\n")) != std::string::npos) {
                    body_at += 4;
                    const auto cl = req.find("Content-Length: ");
                    length = cl == std::string::npos ? 0 : std::stoul(req.substr(cl + 16));
                }
                if (body_at != std::string::npos && req.size() >= body_at + length) break;
            }
            bodies_[static_cast<std::size_t>(n - 1)] = body_at == std::string::npos ? "" : req.substr(body_at);
            served_ = n;
            const std::string body = R"({"access_token":"AT-)" + std::to_string(n) +
                                     R"(","token_type":"Bearer","expires_in":86400,"refresh_token":"RT-)" +
                                     std::to_string(n) + (empty_scope_ ? R"(","scope":""})" : R"("})");
            const std::string answer =
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) +
                "\r\nConnection: close\r\n\r\n" + body;
            [[maybe_unused]] auto w = ::write(c, answer.data(), answer.size());
            ::close(c);
            if (n == static_cast<int>(std::size(bodies_))) return;
        }
    }
    int fd_ = -1;
    std::uint16_t port_ = 0;
    std::thread thread_;
    std::string bodies_[16];
    std::atomic<int> served_{0};

public:
    // Answers with "scope":"" (nothing granted) instead of no scope field.
    std::atomic<bool> empty_scope_{false};
};

asio::awaitable<void> ask(TokenService& service, store::CredentialKey key, std::chrono::seconds min_valid,
                          Result<wire::AccessToken>* out) {
    *out = co_await service.token(key, min_valid);
}

asio::awaitable<void> forget(TokenService& service, store::CredentialKey key, Result<Removal>* out) {
    *out = co_await service.remove(key, Revoke::no, OnRevokeFailure::remove);
}

class TokenServiceTest : public ::testing::Test {
protected:
    void SetUp() override {
        auto key = SecretBytes::zeroed(store::k_master_key_bytes);
        for (std::size_t i = 0; i < key.size(); ++i) key.data()[i] = static_cast<unsigned char>(i);
        store::LmdbOptions o;
        o.directory = dir_.file("state");
        auto s = store::LmdbStore::open(o, store::Sealer(std::move(key)));
        ASSERT_TRUE(s.has_value()) << s.error().message;
        lmdb_ = std::move(*s);
        counting_ = std::make_unique<CountingStore>(*lmdb_);
    }
    TokenServiceOptions options() const {
        ProviderConfig p;
        p.name = "demo";
        p.authorization_endpoint = "http://127.0.0.1:1/authorize";  // never visited here
        p.token_endpoint = endpoint_.url();
        p.client_id = "client";
        return TokenServiceOptions{{p}, std::chrono::seconds(5)};
    }
    Result<wire::AccessToken> token(TokenService& service, std::chrono::seconds min_valid) {
        Result<wire::AccessToken> out = make_error(Errc::internal, "not run");
        asio::co_spawn(io_, ask(service, key_, min_valid, &out), asio::detached);
        io_.restart();
        io_.run();
        return out;
    }

    TempDir dir_;
    TokenEndpoint endpoint_;
    asio::io_context io_;
    std::unique_ptr<store::LmdbStore> lmdb_;
    std::unique_ptr<CountingStore> counting_;
    store::CredentialKey key_{"alice", "demo"};
};

TEST_F(TokenServiceTest, RefreshTokenIsOpenedOnlyForARefresh) {
    {
        TokenService service(io_, *counting_, options());
        wire::StoreCredential login;
        login.refresh_token = SecretBytes::from("RT-login");
        login.access_token = SecretBytes::from("AT-login");
        login.access_expires_at = std::time(nullptr) + 3600;
        ASSERT_TRUE(credctl::test::run_now(io_, service.store_login(key_, std::move(login))).has_value());
        auto cached = token(service, std::chrono::seconds(60));
        ASSERT_TRUE(cached.has_value()) << cached.error().message;
        EXPECT_EQ(cached->access_token.reveal(), "AT-login");
        const std::string alice = "alice";
        ASSERT_TRUE(credctl::test::run_now(io_, service.list(alice)).has_value());
    }
    EXPECT_EQ(counting_->opened, 0) << "login, a cached token and list opened the refresh token";

    // A new process: the access token comes from the stored record.
    TokenService service(io_, *counting_, options());
    auto stored = token(service, std::chrono::seconds(60));
    ASSERT_TRUE(stored.has_value()) << stored.error().message;
    EXPECT_EQ(stored->access_token.reveal(), "AT-login");
    EXPECT_EQ(counting_->opened, 0) << "serving the stored access token opened the refresh token";
    EXPECT_TRUE(endpoint_.bodies().empty());

    // Asking for more than the stored token has left: a refresh.
    auto refreshed = token(service, std::chrono::seconds(7200));
    ASSERT_TRUE(refreshed.has_value()) << refreshed.error().message;
    EXPECT_EQ(refreshed->access_token.reveal(), "AT-1");
    ASSERT_EQ(endpoint_.bodies().size(), 1u);
    EXPECT_NE(endpoint_.bodies()[0].find("refresh_token=RT-login"), std::string::npos) << endpoint_.bodies()[0];
    EXPECT_GE(counting_->opened, 1);
    const int after_refresh = counting_->opened;

    // The rotated refresh token is stored; serving the new access token
    // again opens nothing.
    auto rotated = lmdb_->refresh_token(key_);
    ASSERT_TRUE(rotated.has_value());
    EXPECT_EQ(rotated->reveal(), "RT-1");
    counting_->opened = after_refresh;
    auto again = token(service, std::chrono::seconds(7200));
    ASSERT_TRUE(again.has_value());
    EXPECT_EQ(again->access_token.reveal(), "AT-1");
    EXPECT_EQ(counting_->opened, after_refresh);

    // Removal without revocation has no use for the refresh token either.
    Result<Removal> removed = make_error(Errc::internal, "not run");
    asio::co_spawn(io_, forget(service, key_, &removed), asio::detached);
    io_.restart();
    io_.run();
    ASSERT_TRUE(removed.has_value()) << removed.error().message;
    EXPECT_EQ(counting_->opened, after_refresh);
}

// Once a provider's endpoints are known, a refresh's connection is opened
// while its pending mark is written (upstream.hpp, warm_up()): it carries
// that refresh and nothing else, and nothing reaches the provider before
// the mark. An opened connection left unused would reach the endpoint as
// one more request with an empty body.
TEST_F(TokenServiceTest, AConnectionOpenedAheadCarriesTheRefreshAndNothingComesBeforeTheMark) {
    TokenService service(io_, *counting_, options());
    wire::StoreCredential login;
    login.refresh_token = SecretBytes::from("RT-login");
    ASSERT_TRUE(credctl::test::run_now(io_, service.store_login(key_, std::move(login))).has_value());
    std::vector<int> served_at_mark;
    counting_->on_pending_mark = [&] { served_at_mark.push_back(endpoint_.served()); };
    for (const char* expected : {"AT-1", "AT-2", "AT-3"}) {
        // More than any answer's 86,400 s: every call refreshes.
        auto t = token(service, std::chrono::seconds(100000));
        ASSERT_TRUE(t.has_value()) << t.error().message;
        EXPECT_EQ(t->access_token.reveal(), expected);
    }
    EXPECT_EQ(served_at_mark, (std::vector<int>{0, 1, 2}));
    const auto bodies = endpoint_.bodies();
    ASSERT_EQ(bodies.size(), 3u);
    EXPECT_NE(bodies[0].find("refresh_token=RT-login"), std::string::npos) << bodies[0];
    EXPECT_NE(bodies[1].find("refresh_token=RT-1"), std::string::npos) << bodies[1];
    EXPECT_NE(bodies[2].find("refresh_token=RT-2"), std::string::npos) << bodies[2];
}

// RFC 6749 §5.1: no scope in the answer means the scope asked for; an
// empty one means none was granted, and must not be reported as asked.
TEST_F(TokenServiceTest, AnEmptyGrantedScopeIsReportedAsEmpty) {
    TokenService service(io_, *counting_, options());
    wire::StoreCredential login;
    login.refresh_token = SecretBytes::from("RT-login");
    login.scope = "openid email";
    ASSERT_TRUE(credctl::test::run_now(io_, service.store_login(key_, std::move(login))).has_value());
    auto as_asked = token(service, std::chrono::seconds(60));
    ASSERT_TRUE(as_asked.has_value()) << as_asked.error().message;
    EXPECT_EQ(as_asked->access_token.reveal(), "AT-1");
    EXPECT_EQ(as_asked->scope, "openid email");  // no scope field: as asked

    endpoint_.empty_scope_ = true;
    auto none = token(service, std::chrono::seconds(2 * 86400));  // more than AT-1 has: a refresh
    ASSERT_TRUE(none.has_value()) << none.error().message;
    EXPECT_EQ(none->access_token.reveal(), "AT-2");
    EXPECT_EQ(none->scope, "");
}

// With the store on a thread of its own (as in credd), a refresh goes from
// its pending mark through the provider to its stored answer without the
// I/O thread: there, in a stampede, each step would wait behind every
// request that is ready. Here the I/O thread does nothing from the mark on,
// and the rotated token is stored all the same.
TEST_F(TokenServiceTest, WithAStoreThreadARefreshIsStoredWithoutTheIoThread) {
    store::StoreRunner runner(*counting_, store::StorePlacement::own_thread);
    TokenService service(io_, runner, options());
    wire::StoreCredential login;
    login.refresh_token = SecretBytes::from("RT-login");
    ASSERT_TRUE(credctl::test::run_now(io_, service.store_login(key_, std::move(login))).has_value());
    const int puts_before = counting_->puts.load();
    Result<wire::AccessToken> out = make_error(Errc::internal, "not answered");
    asio::co_spawn(io_, ask(service, key_, std::chrono::seconds(60), &out), asio::detached);
    ASSERT_TRUE(credctl::test::run_until(
        io_, [&] { return counting_->marks.load() == 1; }, std::chrono::seconds(5)))
        << "the refresh never wrote its pending mark";
    // From here on the I/O thread runs nothing.
    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (counting_->puts.load() == puts_before && std::chrono::steady_clock::now() < until) {
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    EXPECT_EQ(counting_->puts.load(), puts_before + 1) << "the answer was not stored while the I/O thread was idle";
    EXPECT_EQ(endpoint_.served(), 1);
    ASSERT_TRUE(credctl::test::run_until(
        io_, [&] { return out.has_value(); }, std::chrono::seconds(5)))
        << out.error().message;
    EXPECT_EQ(out->access_token.reveal(), "AT-1");
    auto stored = runner.run([&](store::Store& s) { return s.refresh_token(key_); });
    auto rt = credctl::test::run_now(io_, std::move(stored));
    ASSERT_TRUE(rt.has_value()) << rt.error().message;
    EXPECT_EQ(rt->reveal(), "RT-1");
}

// A refresh can fail before its first suspension (here: a provider with no
// token endpoint); its caller must still get the answer, not wait forever.
TEST_F(TokenServiceTest, ARefreshThatFailsBeforeAnyIoStillAnswersItsCaller) {
    auto o = options();
    o.providers[0].authorization_endpoint.clear();
    o.providers[0].token_endpoint.clear();
    TokenService service(io_, *counting_, o);
    wire::StoreCredential login;
    login.refresh_token = SecretBytes::from("RT-login");
    ASSERT_TRUE(credctl::test::run_now(io_, service.store_login(key_, std::move(login))).has_value());
    Result<wire::AccessToken> out = make_error(Errc::internal, "not answered");
    asio::co_spawn(io_, ask(service, key_, std::chrono::seconds(60), &out), asio::detached);
    io_.restart();
    io_.run_for(std::chrono::seconds(5));
    ASSERT_FALSE(out.has_value());
    EXPECT_EQ(out.error().code, Errc::provider_unavailable) << out.error().message;
    EXPECT_NE(out.error().message.find("has no authorization or token endpoint"), std::string::npos)
        << out.error().message;
}

// With debug messages on (credd --verbose), each refresh says where its
// time went, step by step as they ended, and nothing secret; without them,
// nothing.
TEST_F(TokenServiceTest, ARefreshLogsItsStepsAtDebugOnly) {
    store::StoreRunner runner(*counting_, store::StorePlacement::own_thread);
    TokenService service(io_, runner, options());
    wire::StoreCredential login;
    login.refresh_token = SecretBytes::from("RT-login");
    ASSERT_TRUE(credctl::test::run_now(io_, service.store_login(key_, std::move(login))).has_value());
    const auto refresh = [&] {
        auto t = token(service, std::chrono::seconds(100000));  // more than any answer's 86,400 s
        EXPECT_TRUE(t.has_value()) << t.error().message;
    };
    log::set_threshold(log::Level::info);
    EXPECT_EQ(credctl::test::capture_stderr(refresh).text.find("refresh of"), std::string::npos);
    log::set_threshold(log::Level::debug);
    const std::string out = credctl::test::capture_stderr(refresh).text;
    log::set_threshold(log::Level::info);
    EXPECT_EQ(endpoint_.served(), 2);
    const std::regex line(
        R"(<7>refresh of credentials/alice/demo: ok in [0-9.]+ ms: store read [0-9.]+, steps started [0-9.]+, )"
        R"(pending mark [0-9.]+, provider [0-9.]+, commit [0-9.]+, back on the I/O thread [0-9.]+\n)");
    EXPECT_TRUE(std::regex_search(out, line)) << out;
    EXPECT_EQ(out.find("RT-"), std::string::npos) << out;
    EXPECT_EQ(out.find("AT-"), std::string::npos) << out;
}

}  // namespace
}  // namespace credctl::tokens
