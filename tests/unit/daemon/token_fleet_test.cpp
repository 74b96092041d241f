// TokenService's fleet-wide single flight (daemon/tokens/fleet_refresh.cpp):
// two TokenServices standing for two hosts share one real LmdbStore and one
// table of refresh locks (a store that offers store::RefreshLock, as
// EtcdStore does), each with its own fake upstream. With no change feed, a
// waiting host looks at the lock on real timers, so these tests run the
// io_context for bounded stretches of time (token_fleet_etcd_test.cpp has
// the wake-up by the watch).
#include "common/log/log.hpp"
#include "daemon/store/lmdb_store.hpp"
#include "daemon/store/refresh_lock.hpp"
#include "daemon/tokens/token_service.hpp"
#include "support/capture.hpp"
#include "support/run_now.hpp"
#include "token_fakes.hpp"

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>

#include <functional>
#include <list>
#include <map>
#include <optional>
#include <regex>
#include <string>
#include <tuple>

namespace credctl::tokens {
namespace {

namespace asio = boost::asio;
using std::chrono::milliseconds;
using test::answer_error;
using test::answer_tokens;

constexpr milliseconds k_fleet_lease{1000};  // LockingStore::lease()

// Who holds the lock of each credential; what a lease ending does to it is
// drop(). With leases_end, a lock that lock_and_mark() took also ends when
// keep_alive() has not renewed it for a lease (as etcd's do).
struct LockTable {
    using Clock = std::chrono::steady_clock;
    std::map<std::string, int> holder;
    int keep_alives = 0;
    int failing_keep_alives = 0;  // the next ones fail, as with etcd out of reach
    bool leases_end = false;
    std::map<std::string, Clock::time_point> lease_ends;
    void drop(const store::CredentialKey& k) { holder.erase(k.user + "/" + k.provider); }
    void expire() {
        for (auto it = lease_ends.begin(); it != lease_ends.end();) {
            if (it->second > Clock::now()) {
                ++it;
                continue;
            }
            holder.erase(it->first);
            it = lease_ends.erase(it);
        }
    }
    void renewed(const std::string& name) {
        if (leases_end) lease_ends[name] = Clock::now() + k_fleet_lease;
    }
};

class LockingStore final : public test::ForwardingStore, public store::RefreshLock {
public:
    LockingStore(store::Store& inner, LockTable& table, int host)
        : ForwardingStore(inner), table_(table), host_(host) {}

    store::RefreshLock* refresh_lock() override { return this; }

    // What this host last read of each credential: lock_and_mark() compares
    // the record with it, as EtcdStore compares revisions.
    Result<std::optional<store::CredentialRecord>> get(const store::CredentialKey& k) override {
        auto r = ForwardingStore::get(k);
        if (r && *r) read_[name(k)] = version(**r);
        return r;
    }
    Result<std::optional<store::CredentialRecord>> get_to_refresh(const store::CredentialKey& k) override {
        return get(k);
    }
    Result<bool> settle() override { return true; }
    Result<store::MarkResult> lock_and_mark(const store::CredentialKey& k, const store::CredentialRecord& r) override {
        using Outcome = store::MarkResult::Outcome;
        table_.expire();
        const auto [it, fresh] = table_.holder.try_emplace(name(k), host_);
        const auto read = read_.find(name(k));
        auto now = get(k);
        if (!now) return now.error();
        if (it->second != host_) return store::MarkResult{Outcome::held, std::move(*now)};
        if (!*now || read == read_.end() || version(**now) != read->second) {
            if (fresh) table_.holder.erase(it);
            return store::MarkResult{Outcome::changed, std::move(*now)};
        }
        if (auto u = update(k, r); !u) return u.error();
        if (fresh) table_.renewed(name(k));
        return store::MarkResult{Outcome::marked, std::nullopt};
    }
    Result<void> commit_and_unlock(const store::CredentialKey& k, const store::CredentialRecord& r,
                                   const SecretBytes* rotated) override {
        table_.expire();
        auto it = table_.holder.find(name(k));
        if (it == table_.holder.end() || it->second != host_) {
            return make_error(Errc::provider_unavailable, "the lock ended before the commit");
        }
        table_.lease_ends.erase(name(k));
        auto done = rotated != nullptr ? put(k, r, *rotated) : update(k, r);
        table_.holder.erase(it);
        return done;
    }
    Result<bool> keep_alive(const store::CredentialKey& k) override {
        ++table_.keep_alives;
        if (table_.failing_keep_alives > 0) {
            --table_.failing_keep_alives;
            return make_error(Errc::provider_unavailable, "etcd: no member answered");
        }
        table_.expire();
        auto it = table_.holder.find(name(k));
        if (it == table_.holder.end() || it->second != host_) return false;
        table_.renewed(name(k));
        return true;
    }
    void unlock(const store::CredentialKey& k) override {
        if (auto it = table_.holder.find(name(k)); it != table_.holder.end() && it->second == host_) {
            table_.holder.erase(it);
            table_.lease_ends.erase(name(k));
        }
    }
    Result<bool> locked(const store::CredentialKey& k) override {
        table_.expire();
        return table_.holder.contains(name(k));
    }
    Result<store::LockView> look(const store::CredentialKey& k) override {
        table_.expire();
        auto rec = get(k);
        if (!rec) return rec.error();
        return store::LockView{table_.holder.contains(name(k)), std::move(*rec)};
    }
    std::chrono::seconds lease() const override {
        return std::chrono::duration_cast<std::chrono::seconds>(k_fleet_lease);
    }

private:
    static std::string name(const store::CredentialKey& k) { return k.user + "/" + k.provider; }
    static std::tuple<std::int64_t, std::uint64_t, int> version(const store::CredentialRecord& r) {
        return {r.updated_at, r.rotation, static_cast<int>(r.state)};
    }
    std::map<std::string, std::tuple<std::int64_t, std::uint64_t, int>> read_;
    LockTable& table_;
    int host_;
};

struct Host {
    Host(asio::io_context& io, store::Store& shared, LockTable& locks, int id, test::FakeClock& clock)
        : store(shared, locks, id),
          service(io, store, credctl::test::unreachable_provider_options(), TokenServiceSeams{upstream, clock}) {}
    LockingStore store;
    test::FakeUpstream upstream;
    TokenService service;
};

// Each host has its own upstream (Host::upstream); the fixture's is unused.
class TokenFleetTest : public test::FakeSeamsTest {
protected:
    void SetUp() override {
        ASSERT_NO_FATAL_FAILURE(FakeSeamsTest::SetUp());
        a_ = std::make_unique<Host>(io_, *lmdb_, locks_, 1, clock_);
        b_ = std::make_unique<Host>(io_, *lmdb_, locks_, 2, clock_);
        store_login(a_->service, std::chrono::seconds(-1));
    }
    void TearDown() override {
        io_.stop();
        b_.reset();
        a_.reset();
    }

    using Answer = std::optional<Result<wire::AccessToken>>;
    asio::awaitable<void> ask(Host* host, Answer* out) {
        *out = co_await host->service.token(key_, std::chrono::seconds(60), {}, milliseconds::zero());
    }
    Answer& start(Host& host) {
        auto& answer = answers_.emplace_back();
        asio::co_spawn(io_, ask(&host, &answer), asio::detached);
        run(milliseconds(50));
        return answer;
    }
    void run(milliseconds d) {
        io_.restart();
        io_.run_for(d);
    }
    // Runs until `done`, for up to 2 s: a refresh's commits on the store's
    // thread take that long on a loaded machine.
    void run_until(const std::function<bool()>& done) { credctl::test::run_until(io_, done, milliseconds(2000)); }
    store::CredentialState stored_state() { return (*lmdb_->get(key_))->state; }

    // TokenService::keep_alive() on `host`, spawned but not yet run.
    using Kept = std::optional<Result<bool>>;
    asio::awaitable<void> keep(Host* host, std::int64_t seen, Kept* out) {
        *out = co_await host->service.keep_alive(key_, seen);
    }
    Kept& spawn_keep_alive(Host& host, std::int64_t seen) {
        auto& kept = kept_.emplace_back();
        asio::co_spawn(io_, keep(&host, seen, &kept), asio::detached);
        return kept;
    }
    std::list<Kept> kept_;

    LockTable locks_;
    std::unique_ptr<Host> a_, b_;
    std::list<Answer> answers_;
};

TEST_F(TokenFleetTest, AHostThatFindsTheLockHeldServesTheHoldersTokenWithoutCallingTheProvider) {
    Answer& on_a = start(*a_);
    ASSERT_EQ(a_->upstream.held(), 1u);
    EXPECT_EQ(locks_.holder.at("alice/demo"), 1);
    EXPECT_EQ(stored_state(), store::CredentialState::refresh_pending);

    Answer& on_b = start(*b_);
    run(milliseconds(200));
    EXPECT_FALSE(on_b.has_value()) << "B answered while A's refresh was in flight";
    EXPECT_EQ(b_->upstream.calls, 0);

    a_->upstream.release(answer_tokens("AT-1", "RT-1", 3600));
    run_until([&] { return on_a.has_value() && on_b.has_value(); });
    ASSERT_TRUE(on_a.has_value() && on_a->has_value());
    ASSERT_TRUE(on_b.has_value() && on_b->has_value()) << (on_b ? on_b->error().message : "no answer");
    EXPECT_EQ((*on_b)->access_token.reveal(), "AT-1");
    EXPECT_EQ((*on_a)->access_token.reveal(), "AT-1");
    EXPECT_EQ(b_->upstream.calls, 0);
    EXPECT_EQ(a_->upstream.calls, 1);
    EXPECT_TRUE(locks_.holder.empty()) << "the lock outlived the refresh";
    EXPECT_EQ(lmdb_->refresh_token(key_)->reveal(), "RT-1");
}

// The holder's debug line (credd --verbose) names a fleet's steps: the
// lock taken with the pending mark, then the refresh token read.
TEST_F(TokenFleetTest, TheHoldersDebugLineNamesTheFleetsSteps) {
    log::set_threshold(log::Level::debug);
    const std::string out = credctl::test::capture_stderr([&] {
                                Answer& on_a = start(*a_);
                                a_->upstream.release(answer_tokens("AT-1", "RT-1", 3600));
                                run_until([&] { return on_a.has_value(); });
                            }).text;
    log::set_threshold(log::Level::info);
    const std::regex line(R"(<7>refresh of credentials/alice/demo: ok in [0-9.]+ ms: store read [0-9.]+, )"
                          R"(fleet lock and pending mark [0-9.]+, steps started [0-9.]+, refresh token read [0-9.]+, )"
                          R"(provider [0-9.]+, .*commit [0-9.]+)");
    EXPECT_TRUE(std::regex_search(out, line)) << out;
}

TEST_F(TokenFleetTest, APendingMarkWhoseLockEndedIsNotReplayed) {
    start(*a_);
    ASSERT_EQ(a_->upstream.held(), 1u);
    locks_.drop(key_);  // A's lease ran out: A died or was cut off after sending RT-0

    Answer& on_b = start(*b_);
    ASSERT_TRUE(on_b.has_value());
    ASSERT_FALSE(on_b->has_value());
    EXPECT_EQ(on_b->error().code, Errc::login_required) << on_b->error().message;
    EXPECT_EQ(b_->upstream.calls, 0) << "replayed a refresh token its holder may have spent";
    EXPECT_EQ(stored_state(), store::CredentialState::login_required);
    a_->upstream.release(answer_error(Errc::provider_unavailable, "gone"));
    run(milliseconds(50));
}

TEST_F(TokenFleetTest, TheHolderRenewsItsLeaseWhileTheProviderIsSlow) {
    start(*a_);
    ASSERT_EQ(a_->upstream.held(), 1u);
    run(milliseconds(1100));  // a 1 s lease is renewed every third of it
    EXPECT_GE(locks_.keep_alives, 2);
    EXPECT_EQ(locks_.holder.at("alice/demo"), 1);
    a_->upstream.release(answer_tokens("AT-1", "RT-1", 3600));
    run(milliseconds(50));
    const int renewed = locks_.keep_alives;
    run(milliseconds(500));
    EXPECT_EQ(locks_.keep_alives, renewed) << "still renewing after the exchange ended";
    EXPECT_TRUE(locks_.holder.empty());
}

// A renewal that fails (etcd out of reach for a moment) says nothing about
// the lease: the holder asks again, so a provider slower than the lease
// still gets its answer committed, the rotated token kept.
TEST_F(TokenFleetTest, TheHolderRenewsItsLeaseAgainAfterARenewalFails) {
    locks_.leases_end = true;
    locks_.failing_keep_alives = 2;
    Answer& on_a = start(*a_);
    ASSERT_EQ(a_->upstream.held(), 1u);
    run(milliseconds(1500));  // past the lease taken at the start
    EXPECT_GE(locks_.keep_alives, 4) << "renewal stopped at a failure";
    a_->upstream.release(answer_tokens("AT-1", "RT-1", 3600));
    run_until([&] { return on_a.has_value(); });
    ASSERT_TRUE(on_a.has_value() && on_a->has_value()) << (on_a ? on_a->error().message : "no answer");
    EXPECT_EQ((*on_a)->access_token.reveal(), "AT-1");
    EXPECT_EQ(lmdb_->refresh_token(key_)->reveal(), "RT-1");
    EXPECT_EQ(stored_state(), store::CredentialState::valid);
    EXPECT_TRUE(locks_.holder.empty());
    const int renewed = locks_.keep_alives;
    run(milliseconds(500));
    EXPECT_EQ(locks_.keep_alives, renewed) << "still renewing after the exchange ended";
}

// Keep-alive (daemon/tokens/keep_alive.hpp) on a fleet: every host arms it,
// one refreshes. The lock is held but the record not marked when B reads
// it: B finds it valid, is refused the lock, waits, and only the record it
// reads when the lock is gone tells it that A's refresh kept the credential
// alive.
TEST_F(TokenFleetTest, KeepAliveOnTwoHostsAtOnceRefreshesOnce) {
    const std::int64_t seen = (*lmdb_->get(key_))->refreshed_at;
    locks_.holder["alice/demo"] = 1;
    Kept& on_b = spawn_keep_alive(*b_, seen);
    run(milliseconds(100));
    EXPECT_FALSE(on_b.has_value()) << "B did not wait for A's lock";
    Kept& on_a = spawn_keep_alive(*a_, seen);
    run(milliseconds(100));
    ASSERT_EQ(a_->upstream.held(), 1u);
    EXPECT_FALSE(on_b.has_value()) << "B did not wait for A's refresh";

    a_->upstream.release(answer_tokens("AT-1", "RT-1", 3600));
    run_until([&] { return on_a.has_value() && on_b.has_value(); });
    ASSERT_TRUE(on_a.has_value() && on_a->has_value()) << (on_a ? on_a->error().message : "no answer");
    ASSERT_TRUE(on_b.has_value() && on_b->has_value()) << (on_b ? on_b->error().message : "no answer");
    EXPECT_EQ(a_->upstream.calls, 1);
    EXPECT_EQ(b_->upstream.calls, 0) << "B refreshed what A had just refreshed";
    EXPECT_EQ(lmdb_->refresh_token(key_)->reveal(), "RT-1");
    EXPECT_EQ((*lmdb_->get(key_))->rotation, 1u);
    EXPECT_TRUE(locks_.holder.empty());
}

// Once A's refresh has marked the record, B does not even wait.
TEST_F(TokenFleetTest, KeepAliveDuringAnotherHostsRefreshDoesNothing) {
    const std::int64_t seen = (*lmdb_->get(key_))->refreshed_at;
    Kept& on_a = spawn_keep_alive(*a_, seen);
    run(milliseconds(50));
    ASSERT_EQ(a_->upstream.held(), 1u);
    Kept& on_b = spawn_keep_alive(*b_, seen);
    run(milliseconds(50));
    ASSERT_TRUE(on_b.has_value() && on_b->has_value());
    EXPECT_FALSE(**on_b);
    EXPECT_EQ(b_->upstream.calls, 0);
    a_->upstream.release(answer_tokens("AT-1", "RT-1", 3600));
    run(milliseconds(50));
    ASSERT_TRUE(on_a.has_value() && on_a->has_value() && **on_a);
}

TEST_F(TokenFleetTest, KeepAliveOfACredentialAnotherHostRefreshedSinceDoesNothing) {
    const std::int64_t seen = (*lmdb_->get(key_))->refreshed_at;
    clock_.advance(std::chrono::seconds(5));
    Kept& on_a = spawn_keep_alive(*a_, seen);
    run(milliseconds(50));
    a_->upstream.release(answer_tokens("AT-1", "RT-1", 3600));
    run_until([&] { return on_a.has_value(); });
    ASSERT_TRUE(on_a.has_value() && on_a->has_value() && **on_a);
    EXPECT_GT((*lmdb_->get(key_))->refreshed_at, seen);

    Kept& on_b = spawn_keep_alive(*b_, seen);  // armed by B from its older scan
    run_until([&] { return on_b.has_value(); });
    ASSERT_TRUE(on_b.has_value() && on_b->has_value());
    EXPECT_FALSE(**on_b);
    EXPECT_EQ(b_->upstream.calls, 0);
    EXPECT_EQ((*lmdb_->get(key_))->rotation, 1u);
}

}  // namespace
}  // namespace credctl::tokens
