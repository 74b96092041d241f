#include "daemon/etcd/etcd_watch.hpp"

#include "common/log/log.hpp"
#include "daemon/etcd/etcd_codec.hpp"
#include "daemon/etcd/etcd_connect.hpp"
#include "daemon/etcd/etcd_watch_cursor.hpp"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

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
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <limits>
#include <mutex>
#include <thread>
#include <vector>

namespace credctl::etcd {
namespace {

using std::chrono::milliseconds;
// One message is a fragment of at most the member's --max-request-bytes
// (1.5 MiB by default) plus one event, in JSON and base64 (about 1.4 times
// that): the bound of the client's answers (etcd_client.cpp) holds it.
constexpr std::size_t k_max_message_bytes = 64 * 1024 * 1024;
// Between two sessions: short after one that moved forward, doubling while
// none does (no member answers, or each ends where it began).
constexpr milliseconds k_first_rewatch_pause{100};
constexpr milliseconds k_max_rewatch_pause{5000};

// TCP keep-alive: a member cut off without a reset is noticed in about
// 10 + 3 * 5 seconds instead of the kernel's two hours.
void keep_alive(tcp::socket& s) {
    const int fd = s.native_handle();
    const int on = 1, idle = 10, interval = 5, count = 3;
    ::setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &on, sizeof on);
    ::setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof idle);
    ::setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &interval, sizeof interval);
    ::setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &count, sizeof count);
}

// What one session with one member shares with the loop. The cursor is
// where the watch stands: the next session resumes after the last revision
// it reported whole, so that a member lost costs no change.
struct Session {
    const EtcdWatch::Changed& changed;
    const EtcdWatch::Resync& resync;
    WatchCursor& cursor;
    std::atomic<bool>& following;
    std::string ended;  // why the stream ended
};

// One message: false when the watch must end here.
bool handle(std::string_view line, Session& s) {
    if (line.find_first_not_of(" \t\r") == std::string_view::npos) return true;
    auto r = parse_watch_result(line);
    if (!r) {
        s.ended = r.error().message;
        return false;
    }
    const WatchCursor::Step step = s.cursor.apply(*r);
    if (step.resync) s.resync(*step.resync);
    for (const auto& e : r->events) s.changed(e.key, e.mod_revision);
    // Set once the message's changes are reported: following() vouches for
    // the copies the store keeps (etcd_store.hpp).
    s.following = s.cursor.following();
    if (step.end) s.ended = "the cluster ended the watch";
    return !step.end;
}

template <class Stream>
asio::awaitable<void> read_events(Stream& stream, Session& s) {
    beast::flat_buffer buffer;
    bhttp::response_parser<bhttp::buffer_body> parser;
    parser.body_limit(std::numeric_limits<std::uint64_t>::max());  // the stream does not end
    auto [hec, hn] = co_await bhttp::async_read_header(stream, buffer, parser, k_tuple);
    if (hec) co_return s.ended = "reading the answer: " + hec.message(), void();
    if (parser.get().result_int() != 200) {
        co_return s.ended = "answered " + std::to_string(parser.get().result_int()), void();
    }
    std::string pending;  // the start of a message whose line has not ended yet
    char data[16 * 1024];
    while (!parser.is_done()) {
        parser.get().body().data = data;
        parser.get().body().size = sizeof data;
        auto [rec, rn] = co_await bhttp::async_read_some(stream, buffer, parser, k_tuple);
        if (rec == bhttp::error::need_buffer) rec = {};
        if (rec) co_return s.ended = "reading: " + rec.message(), void();
        // What was pending holds no newline: look in what came only, so that a
        // message of many reads is not searched again at each.
        const std::size_t came_at = pending.size();
        pending.append(data, sizeof data - parser.get().body().size);
        std::size_t from = 0;
        for (auto nl = pending.find('\n', came_at); nl != std::string::npos; nl = pending.find('\n', from)) {
            if (!handle(std::string_view(pending).substr(from, nl - from), s)) co_return;
            from = nl + 1;
        }
        pending.erase(0, from);
        if (pending.size() > k_max_message_bytes) co_return s.ended = "a message over 64 MiB", void();
    }
    s.ended = "the member ended the stream";
}

template <class Stream>
asio::awaitable<void> request_and_read(Stream& stream, const bhttp::request<bhttp::string_body>& req, Session& s) {
    auto [wec, wn] = co_await bhttp::async_write(stream, req, k_tuple);
    if (wec) co_return s.ended = "sending: " + wec.message(), void();
    beast::get_lowest_layer(stream).expires_never();
    co_await read_events(stream, s);
}

asio::awaitable<void> follow(const Endpoint& e, ssl::context* tls, const std::string& prefix, milliseconds timeout,
                             Session& s) {
    bhttp::request<bhttp::string_body> req{bhttp::verb::post, "/v3/watch", 11};
    req.set(bhttp::field::host, e.host + ":" + e.port);
    req.set(bhttp::field::content_type, "application/json");
    req.body() = watch_request(prefix, s.cursor.start_revision());
    req.prepare_payload();
    const std::string failed = co_await with_member(e, tls, std::chrono::steady_clock::now() + timeout,
                                                    [&req, &s](auto& stream) -> asio::awaitable<void> {
                                                        keep_alive(beast::get_lowest_layer(stream).socket());
                                                        co_await request_and_read(stream, req, s);
                                                    });
    if (!failed.empty()) s.ended = failed;
}

}  // namespace

struct EtcdWatch::Impl {
    std::vector<Endpoint> endpoints;
    std::unique_ptr<ssl::context> tls;
    milliseconds timeout{5000};
    std::string prefix;
    WatchCursor cursor;  // the watch thread's: see Session
    std::atomic<bool> following{false};
    Changed changed;
    Resync resync;
    std::mutex mutex;
    std::condition_variable wake;
    bool stopping = false;                // under mutex
    asio::io_context* session = nullptr;  // under mutex: the one running now
    std::thread thread;

    // One session on one member, to its end or until stopped.
    Session one(const Endpoint& e) {
        Session s{changed, resync, cursor, following, {}};
        cursor.begin();
        asio::io_context io;
        {
            std::lock_guard lock(mutex);
            if (stopping) return s;
            session = &io;
        }
        asio::co_spawn(io, follow(e, tls.get(), prefix, timeout, s), [&s](std::exception_ptr p) {
            if (p) s.ended = "failed inside credd";
        });
        io.run();
        following = false;
        std::lock_guard lock(mutex);
        session = nullptr;
        return s;
    }

    void run() {
        std::size_t at = 0;
        milliseconds pause = k_first_rewatch_pause;
        for (;;) {
            const Session s = one(endpoints[at]);
            std::unique_lock lock(mutex);
            if (stopping) return;
            const std::string what = "etcd watch through " + endpoints[at].url + " ended (" + s.ended + ")";
            cursor.created() ? log::warning(what + "; following changes through the next member") : log::debug(what);
            // A session that ended where it began (a member that fails it
            // the same way each time) must not be asked again at once.
            pause = cursor.progressed() ? k_first_rewatch_pause : std::min(pause * 2, k_max_rewatch_pause);
            at = (at + 1) % endpoints.size();
            wake.wait_for(lock, pause, [this] { return stopping; });
            if (stopping) return;
        }
    }
};

EtcdWatch::EtcdWatch(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

EtcdWatch::~EtcdWatch() {
    {
        std::lock_guard lock(impl_->mutex);
        impl_->stopping = true;
        if (impl_->session != nullptr) impl_->session->stop();
    }
    impl_->wake.notify_all();
    if (impl_->thread.joinable()) impl_->thread.join();
}

bool EtcdWatch::following() const {
    return impl_->following.load();
}

Result<std::unique_ptr<EtcdWatch>> EtcdWatch::start(const ClientOptions& options, std::string prefix, Changed changed,
                                                    Resync resync) {
    auto members = members_of(options);
    if (!members) return members.error();
    auto impl = std::make_unique<Impl>();
    impl->endpoints = std::move(members->endpoints);
    impl->tls = std::move(members->tls);
    impl->timeout = options.request_timeout;
    impl->prefix = std::move(prefix);
    impl->changed = std::move(changed);
    impl->resync = std::move(resync);
    Impl& im = *impl;
    std::unique_ptr<EtcdWatch> watch(new EtcdWatch(std::move(impl)));
    im.thread = std::thread([&im] { im.run(); });
    return watch;
}

}  // namespace credctl::etcd
