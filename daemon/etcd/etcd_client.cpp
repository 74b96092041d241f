#include "daemon/etcd/etcd_client.hpp"

#include "daemon/etcd/etcd_connect.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include <algorithm>
#include <optional>
#include <thread>

namespace credctl::etcd {
namespace {

using Clock = std::chrono::steady_clock;
// A range of every credential, sealed: far beyond any real fleet's records.
constexpr std::size_t k_max_answer_bytes = 64 * 1024 * 1024;
// The pause between two rounds over every member: short at first (a leader
// election takes about a second), doubling up to the cap.
constexpr std::chrono::milliseconds k_first_pause{50};
constexpr std::chrono::milliseconds k_max_pause{400};

// One request on the kept connection to a member, opened first when there
// is none. A kept connection that fails before any answer and before the
// deadline (the member closed it while idle, or restarted) is replaced once
// by a new one: the request did not reach a member that had closed it, and
// one that did receive it is in the same case as a member that timed out
// (etcd_client.hpp: a write may have been applied; the compares make that
// safe to find out). Whatever goes wrong, the connection is closed: its
// state is unknown.
asio::awaitable<void> exchange(const Endpoint& e, ssl::context* tls, MemberStream& stream,
                               const bhttp::request<bhttp::string_body>& req, Clock::time_point deadline, Exchange& out,
                               std::uint64_t& connections) {
    auto send = [&req, &out](auto& s) -> asio::awaitable<void> {
        co_await round_trip(s, req, k_max_answer_bytes, out);
    };
    if (stream.open()) {
        stream.tcp().expires_at(deadline);
        co_await stream.with(send);
        if (out.status != 0) {
            if (!out.keep_alive) stream.close();
            co_return;
        }
        stream.close();
        if (Clock::now() >= deadline) co_return;  // a member that hung: out.failure says so
        out = Exchange{};
    }
    const std::string failed = co_await connect_member(e, tls, deadline, stream);
    if (!failed.empty()) {
        out.failure = failed;
        co_return;
    }
    ++connections;
    co_await stream.with(send);
    if (out.status == 0 || !out.keep_alive) stream.close();
}

}  // namespace

// The calling thread runs this io_context during a call only. Each member's
// connection is kept between calls (no TCP and TLS handshake per call);
// declared after the io_context, so destroyed before it.
struct EtcdClient::Session {
    asio::io_context io;
    std::vector<MemberStream> streams;  // by endpoint
};

struct EtcdClient::Impl {
    ClientOptions options;
    std::vector<Endpoint> endpoints;
    std::unique_ptr<ssl::context> tls;
    std::size_t next = 0;  // the member that answered last is asked first
    bool answered = false;
    std::uint64_t calls = 0;
    std::uint64_t connections = 0;
    std::unique_ptr<Session> session;  // last: its streams use the TLS context

    // One attempt on member `at`, run to the end by the calling thread, which
    // the deadline bounds. An attempt still running past it (a resolver that
    // hangs: only the stream's operations have deadlines) is dropped with
    // every kept connection.
    Exchange attempt(std::size_t at, const char* path, const std::string& body, Clock::time_point deadline) {
        Exchange out;
        try {
            if (!session) {
                session = std::make_unique<Session>();
                session->streams.resize(endpoints.size());
            }
            // Outlives the frames that reference it, even those destroyed with the session.
            const auto req = gateway_request(endpoints[at], path, body, true);
            bool done = false;
            auto& io = session->io;
            io.restart();
            asio::co_spawn(
                io,
                [&]() -> asio::awaitable<void> {
                    co_await exchange(endpoints[at], tls.get(), session->streams[at], req, deadline, out, connections);
                    done = true;
                },
                asio::detached);
            io.run_until(deadline + std::chrono::milliseconds(100));
            if (!done) {
                session.reset();
                out = Exchange{};
                out.failure = "timed out";
            }
        } catch (const std::exception& ex) {
            session.reset();
            out = Exchange{};
            out.failure = ex.what();
        }
        return out;
    }
};

EtcdClient::EtcdClient(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
EtcdClient::~EtcdClient() = default;

Result<std::unique_ptr<EtcdClient>> EtcdClient::create(ClientOptions options) {
    auto members = members_of(options);
    if (!members) return members.error();
    auto impl = std::make_unique<Impl>();
    impl->endpoints = std::move(members->endpoints);
    impl->tls = std::move(members->tls);
    impl->options = std::move(options);
    return std::unique_ptr<EtcdClient>(new EtcdClient(std::move(impl)));
}

const std::vector<std::string>& EtcdClient::endpoints() const {
    return impl_->options.endpoints;
}

std::string EtcdClient::last_answered() const {
    return impl_->answered ? impl_->endpoints[impl_->next].url : "";
}

std::uint64_t EtcdClient::calls() const {
    return impl_->calls;
}

std::uint64_t EtcdClient::connections() const {
    return impl_->connections;
}

// Members are asked in turn, starting with the one that answered last, and
// then again in rounds with a short pause between them until one answers or
// the call's time is up: while the cluster elects a new leader every member
// may refuse, hang or answer "leader changed" for a second or two. Within a
// round each member gets an equal share of what is left, so a member that
// hangs cannot eat the time of the ones after it.
Result<std::string> EtcdClient::post(const char* path, const std::string& body) {
    auto& im = *impl_;
    ++im.calls;
    const auto deadline = Clock::now() + im.options.request_timeout;
    const std::size_t n = im.endpoints.size();
    std::string failures;  // the last round's, for the error
    auto pause = k_first_pause;
    for (;;) {
        std::string round;
        for (std::size_t i = 0; i < n; ++i) {
            const std::size_t at = (im.next + i) % n;
            const auto left = deadline - Clock::now();
            if (left <= Clock::duration::zero()) break;
            Exchange x = im.attempt(at, path, body, Clock::now() + left / static_cast<int>(n - i));
            if (x.status >= 200 && x.status < 300) {
                im.next = at;
                im.answered = true;
                return std::move(x.body);
            }
            if (x.status >= 400 && x.status < 500) {
                return make_error(Errc::internal, "etcd " + im.endpoints[at].url + path + ": " +
                                                      std::to_string(x.status) + " " + error_message(x.body));
            }
            const std::string why = x.status != 0 ? std::to_string(x.status) + " " + error_message(x.body) : x.failure;
            round += (round.empty() ? "" : "; ") + im.endpoints[at].url + ": " + why;
        }
        if (!round.empty()) failures = std::move(round);
        if (deadline - Clock::now() <= pause) break;
        std::this_thread::sleep_for(pause);
        pause = std::min(pause * 2, k_max_pause);
    }
    im.answered = false;
    return make_error(Errc::provider_unavailable, "etcd: no member answered " + std::string(path) + " within " +
                                                      std::to_string(im.options.request_timeout.count()) + " ms (" +
                                                      failures + ")");
}

Result<std::optional<KeyValue>> EtcdClient::get(const std::string& key) {
    auto answer = range(key);
    if (!answer) return answer.error();
    if (answer->kvs.empty()) return std::optional<KeyValue>{};
    return std::optional<KeyValue>{std::move(answer->kvs.front())};
}

Result<RangeAnswer> EtcdClient::range(const std::string& key) {
    auto body = post("/v3/kv/range", range_request(key, std::nullopt, false));
    if (!body) return body.error();
    return parse_range(*body);
}

Result<RangeAnswer> EtcdClient::list(const std::string& prefix, bool keys_only) {
    const std::string end = prefix_end(prefix);
    auto body = post("/v3/kv/range", range_request(prefix, std::string_view(end), keys_only));
    if (!body) return body.error();
    return parse_range(*body);
}

Result<std::int64_t> EtcdClient::count(const std::string& prefix) {
    auto body = post("/v3/kv/range", count_request(prefix));
    if (!body) return body.error();
    auto answer = parse_range(*body);
    if (!answer) return answer.error();
    return answer->count;
}

Result<TxnAnswer> EtcdClient::put_if(const std::string& key, const std::string& value,
                                     std::int64_t expected_mod_revision, std::int64_t lease) {
    auto body = post("/v3/kv/txn", put_if_request(key, value, expected_mod_revision, lease));
    if (!body) return body.error();
    return parse_txn(*body);
}

Result<TxnAnswer> EtcdClient::txn(const std::string& request) {
    auto body = post("/v3/kv/txn", request);
    if (!body) return body.error();
    return parse_txn(*body);
}

Result<TxnAnswer> EtcdClient::txn(const std::vector<TxnCompare>& compares, const std::vector<TxnWrite>& writes) {
    return txn(txn_request(compares, writes));
}

Result<bool> EtcdClient::erase(const std::string& key) {
    auto body = post("/v3/kv/deleterange", delete_request(key));
    if (!body) return body.error();
    auto n = parse_deleted(*body);
    if (!n) return n.error();
    return *n > 0;
}

Result<bool> EtcdClient::erase_if(const std::string& key, std::int64_t expected_mod_revision) {
    auto body = post("/v3/kv/txn", delete_if_request(key, expected_mod_revision));
    if (!body) return body.error();
    auto txn = parse_txn(*body);
    if (!txn) return txn.error();
    return txn->succeeded;
}

Result<std::int64_t> EtcdClient::lease_grant(std::int64_t ttl_seconds) {
    auto body = post("/v3/lease/grant", lease_grant_request(ttl_seconds));
    if (!body) return body.error();
    return parse_lease_grant(*body);
}

Result<std::int64_t> EtcdClient::lease_keepalive(std::int64_t lease) {
    auto body = post("/v3/lease/keepalive", lease_id_request(lease));
    if (!body) return body.error();
    return parse_keepalive(*body);
}

Result<void> EtcdClient::lease_revoke(std::int64_t lease) {
    auto body = post("/v3/lease/revoke", lease_id_request(lease));
    if (!body) return body.error();
    return {};
}

}  // namespace credctl::etcd
