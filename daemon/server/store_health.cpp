#include "daemon/server/store_health.hpp"

#include "common/log/log.hpp"
#include "daemon/etcd/etcd_probe.hpp"

#include <algorithm>

namespace credctl::server {
namespace {

// A status answer is for a human or a monitor waiting on it: a member that
// needs longer than this to say how it is does not answer.
constexpr std::chrono::milliseconds k_probe_timeout{2000};

}  // namespace

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

namespace {

void copy_store_fields(const wire::Status& from, wire::Status& to) {
    to.store = from.store;
    to.store_state = from.store_state;
    to.store_endpoints = from.store_endpoints;
    to.credentials = from.credentials;
}

}  // namespace

boost::asio::awaitable<void> StoreHealth::fill(wire::Status& s, tokens::TokenService& tokens, bool fresh,
                                               std::chrono::steady_clock::time_point now) {
    s.store_backend = backend_;
    if (!fresh && last_ && (probing_ > 0 || now - last_->taken < k_shared_for)) {
        copy_store_fields(last_->status, s);
        co_return;
    }
    ++probing_;
    struct Done {
        int& n;
        ~Done() { --n; }
    } done{probing_};
    co_await probe(s, tokens);
    // A probe that started before the one kept (a slow member) is older news.
    if (last_ && last_->taken > now) co_return;
    Snapshot taken{{}, now};
    copy_store_fields(s, taken.status);
    last_ = std::move(taken);
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
