#include "daemon/server/store_health.hpp"

#include "common/log/log.hpp"
#include "daemon/etcd/etcd_probe.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>

namespace credctl::server {
namespace {

namespace asio = boost::asio;

// A status answer is for a human or a monitor waiting on it: a member that
// needs longer than this to say how it is does not answer.
constexpr std::chrono::milliseconds k_probe_timeout{2000};

void copy_store_fields(const wire::Status& from, wire::Status& to) {
    to.store = from.store;
    to.store_state = from.store_state;
    to.store_endpoints = from.store_endpoints;
    to.credentials = from.credentials;
}

}  // namespace

// One probe under way and the statuses waiting for it, held by the probe's
// frame and by each waiter: a frame destroyed with the io_context, after
// StoreHealth, touches nothing but this.
struct StoreHealth::Round {
    explicit Round(const asio::any_io_executor& ex) : ended(ex, asio::steady_timer::time_point::max()) {}
    // Never expires by itself; end() makes it expire, which ends every wait
    // on it (and any later one at once).
    asio::steady_timer ended;
    bool over = false;
    std::optional<wire::Status> answer;  // the store's fields; none when the probe threw
    void end() {
        if (over) return;
        over = true;
        ended.expires_at(asio::steady_timer::time_point::min());
    }
};

StoreHealth::StoreHealth(const daemon::StoreSettings& settings)
    : backend_(settings.backend == daemon::StoreBackend::etcd ? "etcd" : "lmdb"),
      timeout_(std::min<std::chrono::milliseconds>(settings.etcd.request_timeout, k_probe_timeout)) {
    if (settings.backend != daemon::StoreBackend::etcd) return;
    const auto& e = settings.etcd;
    auto probe = etcd::EtcdProbe::create({e.endpoints, e.request_timeout, e.ca_file, e.cert_file, e.key_file},
                                         e.prefix + "meta/key_check");
    if (!probe) {
        log::warning("store: credctl status cannot probe the etcd members: " + probe.error().message);
        return;
    }
    probe_ = std::move(*probe);
}

StoreHealth::~StoreHealth() = default;

boost::asio::awaitable<void> StoreHealth::fill(wire::Status& s, tokens::TokenService& tokens, bool fresh,
                                               std::chrono::steady_clock::time_point now) {
    s.store_backend = backend_;
    const bool under_way = round_ && !round_->over;
    if (!fresh && last_ && (under_way || now - last_->taken < k_shared_for)) {
        copy_store_fields(last_->status, s);
        co_return;
    }
    if (!fresh && under_way) {
        co_await await_round(round_, s);  // no probe has ended yet
        co_return;
    }
    co_await probe_now(s, tokens, now);
}

boost::asio::awaitable<void> StoreHealth::await_round(std::shared_ptr<Round> round, wire::Status& s) {
    co_await round->ended.async_wait(asio::as_tuple(asio::use_awaitable));
    if (round->answer) {
        copy_store_fields(*round->answer, s);
        co_return;
    }
    s.store = "store: the probe this status waited for ended without an answer";
    s.store_state = "failing";
    s.credentials = -1;
}

boost::asio::awaitable<void> StoreHealth::probe_now(wire::Status& s, tokens::TokenService& tokens,
                                                    std::chrono::steady_clock::time_point now) {
    auto round = std::make_shared<Round>(co_await asio::this_coro::executor);
    round_ = round;
    // However this frame ends (an exception, or destroyed unfinished when
    // credd stops), its waiters are let go.
    struct Ending {
        Round& round;
        ~Ending() { round.end(); }
    } ending{*round};
    co_await probe(s, tokens);
    round->answer.emplace();
    copy_store_fields(s, *round->answer);
    round->end();
    if (round_ == round) round_.reset();
    // A probe that started before the one kept (a slow member) is older news.
    if (last_ && last_->taken > now) co_return;
    last_ = Snapshot{*round->answer, now};
}

boost::asio::awaitable<void> StoreHealth::probe(wire::Status& s, tokens::TokenService& tokens) {
    if (probe_) {
        const etcd::ClusterHealth h = co_await probe_->probe(timeout_);
        for (const auto& m : h.members) s.store_endpoints.push_back({m.url, m.answers, m.reads, m.detail});
        if (!h.readable) {
            s.store_state = "unreachable";
            s.store = h.reason;
            s.credentials = -1;
            co_return;
        }
    }
    auto n = co_await tokens.count();
    s.credentials = n ? static_cast<std::int64_t>(*n) : -1;
    s.store = n ? "ok" : n.error().message;
    s.store_state = n ? "readable" : n.error().code == Errc::provider_unavailable ? "unreachable" : "failing";
}

}  // namespace credctl::server
