#include "daemon/etcd/etcd_probe.hpp"

#include "daemon/etcd/etcd_codec.hpp"
#include "daemon/etcd/etcd_connect.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/json.hpp>

#include <charconv>

namespace credctl::etcd {
namespace {

namespace json = boost::json;
using Clock = std::chrono::steady_clock;
// A status or a count-only range answer is a few hundred bytes.
constexpr std::size_t k_max_probe_answer_bytes = 64 * 1024;

Error malformed(std::string_view what) {
    return make_error(Errc::internal, "etcd: malformed status answer: " + std::string(what));
}

// proto3 JSON: uint64 as a decimal string; absent means 0.
std::optional<std::uint64_t> uint64_field(const json::object& o, std::string_view name) {
    const auto* v = o.if_contains(name);
    if (v == nullptr) return 0;
    if (v->is_uint64()) return v->as_uint64();
    if (v->is_int64() && v->as_int64() >= 0) return static_cast<std::uint64_t>(v->as_int64());
    if (!v->is_string()) return std::nullopt;
    const auto& s = v->as_string();
    std::uint64_t n = 0;
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
    if (ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
    return n;
}

// One POST's outcome: the answer's body when 2xx, or why none came.
struct Answer {
    bool ok = false;
    std::string body;
    std::string failure;
};

asio::awaitable<Answer> post(const Endpoint& e, ssl::context* tls, const char* path, std::string body,
                             Clock::time_point deadline) {
    const auto req = gateway_request(e, path, std::move(body));
    Exchange x;
    const std::string failed =
        co_await with_member(e, tls, deadline, [&req, &x](auto& stream) -> asio::awaitable<void> {
            co_await round_trip(stream, req, k_max_probe_answer_bytes, x);
        });
    Answer out;
    out.ok = failed.empty() && x.failure.empty() && x.status >= 200 && x.status < 300;
    if (!failed.empty()) {
        out.failure = failed;
    } else if (!x.failure.empty()) {
        out.failure = x.failure;
    } else if (!out.ok) {
        out.failure = std::to_string(x.status) + " " + error_message(x.body);
    }
    out.body = std::move(x.body);
    co_return out;
}

std::string list_members(const std::vector<MemberHealth>& members) {
    std::string out;
    for (const auto& m : members) out += (out.empty() ? "" : "; ") + m.url + ": " + m.detail;
    return out;
}

}  // namespace

Result<MemberStatus> parse_member_status(std::string_view body) {
    boost::system::error_code ec;
    json::value v = json::parse(body, ec);
    if (ec || !v.is_object()) return malformed("not a JSON object");
    const auto& o = v.as_object();
    MemberStatus s;
    if (const auto* ver = o.if_contains("version"); ver != nullptr && ver->is_string()) {
        s.version = std::string(ver->as_string());
    }
    auto leader = uint64_field(o, "leader");
    if (!leader) return malformed("leader is not a number");
    s.leader = *leader;
    if (const auto* h = o.if_contains("header"); h != nullptr && h->is_object()) {
        auto id = uint64_field(h->as_object(), "member_id");
        if (!id) return malformed("member_id is not a number");
        s.member_id = *id;
    }
    return s;
}

std::string describe(const MemberStatus& s) {
    const std::string role = s.leader == 0 ? "no leader" : s.leader == s.member_id ? "leader" : "follower";
    return "etcd " + (s.version.empty() ? std::string("?") : s.version) + ", " + role;
}

ClusterHealth summarize(std::vector<MemberHealth> members) {
    ClusterHealth h;
    std::size_t answering = 0;
    std::size_t with_leader = 0;
    for (const auto& m : members) {
        h.readable = h.readable || m.reads;
        answering += m.answers ? 1 : 0;
        with_leader += m.knows_leader ? 1 : 0;
    }
    const std::string each = " (" + list_members(members) + ")";
    if (answering == 0) {
        h.reason = "etcd: no member answers" + each;
    } else if (with_leader == 0) {
        h.reason = "etcd: no quorum: " + std::to_string(answering) + " of " + std::to_string(members.size()) +
                   " members answer, none knows a leader" + each;
    } else {
        h.reason = "etcd: no member served a read" + each;
    }
    if (h.readable) h.reason.clear();
    h.members = std::move(members);
    return h;
}

struct EtcdProbe::Impl {
    std::vector<Endpoint> endpoints;
    std::unique_ptr<ssl::context> tls;
    std::string read_key;
};

namespace {

// One probe's members, shared with the coroutine of each member: a member
// still waiting when the probe returns writes here and nowhere else.
struct Round {
    std::vector<MemberHealth> members;
    std::size_t left;
    asio::steady_timer done;
    Round(const asio::any_io_executor& ex, std::size_t n) : members(n), left(n), done(ex) {}
};

asio::awaitable<void> probe_member(std::shared_ptr<EtcdProbe::Impl> im, std::size_t i, Clock::time_point deadline,
                                   std::shared_ptr<Round> round) {
    const Endpoint& e = im->endpoints[i];
    MemberHealth m{e.url, false, false, false, "timed out"};
    Answer status = co_await post(e, im->tls.get(), "/v3/maintenance/status", "{}", deadline);
    if (!status.ok) {
        m.detail = status.failure;
    } else if (auto parsed = parse_member_status(status.body); !parsed) {
        m.detail = parsed.error().message;
    } else {
        m.answers = true;
        m.knows_leader = parsed->leader != 0;
        m.detail = describe(*parsed);
        if (m.knows_leader) {
            json::object range{{"key", base64_encode(im->read_key)}, {"count_only", true}};
            Answer read = co_await post(e, im->tls.get(), "/v3/kv/range", json::serialize(range), deadline);
            m.reads = read.ok;
            if (!read.ok) m.detail += ", read failed: " + read.failure;
        }
    }
    round->members[i] = std::move(m);
    if (--round->left == 0) round->done.cancel();
}

}  // namespace

EtcdProbe::EtcdProbe(std::shared_ptr<Impl> impl) : impl_(std::move(impl)) {}
EtcdProbe::~EtcdProbe() = default;

Result<std::unique_ptr<EtcdProbe>> EtcdProbe::create(const ClientOptions& options, std::string read_key) {
    auto members = members_of(options);
    if (!members) return members.error();
    auto impl = std::make_shared<Impl>();
    impl->endpoints = std::move(members->endpoints);
    impl->tls = std::move(members->tls);
    impl->read_key = std::move(read_key);
    return std::unique_ptr<EtcdProbe>(new EtcdProbe(std::move(impl)));
}

asio::awaitable<ClusterHealth> EtcdProbe::probe(std::chrono::milliseconds timeout) {
    auto ex = co_await asio::this_coro::executor;
    const auto deadline = Clock::now() + timeout;
    const std::size_t n = impl_->endpoints.size();
    auto round = std::make_shared<Round>(ex, n);
    for (std::size_t i = 0; i < n; ++i) {
        round->members[i] = MemberHealth{impl_->endpoints[i].url, false, false, false, "timed out"};
        asio::co_spawn(ex, probe_member(impl_, i, deadline, round), asio::detached);
    }
    // Each member's exchanges end by the deadline (the stream's expiry);
    // the margin lets the last of them report before the probe gives up.
    round->done.expires_at(deadline + std::chrono::milliseconds(100));
    if (round->left > 0) co_await round->done.async_wait(k_tuple);
    co_return summarize(round->members);
}

}  // namespace credctl::etcd
