#include "daemon/server/server.hpp"

#include "common/log/log.hpp"
#include "common/secret/secret_http.hpp"
#include "common/wire/wire.hpp"
#include "daemon/config/config_diff.hpp"
#include "daemon/metrics/counting_store.hpp"
#include "daemon/notify/alerter.hpp"
#include "daemon/peer/peer.hpp"
#include "daemon/peer/subordinate_uids.hpp"
#include "daemon/server/admission.hpp"
#include "daemon/server/api.hpp"
#include "daemon/server/closer.hpp"
#include "daemon/server/http_text.hpp"
#include "daemon/server/linger.hpp"
#include "daemon/server/open_files.hpp"
#include "daemon/server/reply_round.hpp"
#include "daemon/server/request_parse.hpp"
#include "daemon/server/session_state.hpp"
#include "daemon/server/socket_path.hpp"
#include "daemon/store/store_runner.hpp"
#include "daemon/systemd/notify.hpp"
#include "daemon/tokens/keep_alive.hpp"
#include "daemon/tokens/token_service.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <map>
#include <optional>
#include <set>

namespace credctl::server {
namespace {

namespace asio = boost::asio;
namespace http = boost::beast::http;
using local = asio::local::stream_protocol;
constexpr auto k_tuple = asio::as_tuple(asio::use_awaitable);

class Server {
public:
    Server(const daemon::DaemonConfig& config, store::Store& store, std::shared_ptr<audit::AuditLog> audit,
           store::Maintenance* maintenance, Reloader reload, const ServeOptions& options)
        : config_(config),
          options_(options),
          reload_(std::move(reload)),
          acceptor_(io_),
          watchdog_(io_),
          signals_(io_, SIGTERM, SIGINT),
          hangup_(io_, SIGHUP),
          counted_store_(store, *metrics_),
          // On either backend (docs/design.md "Threads"): an etcd call is a
          // network exchange, and an LMDB commit waits for the disk twice.
          store_runner_(counted_store_, store::StorePlacement::own_thread),
          alerts_(io_, config.notify),
          tokens_(io_, store_runner_,
                  {config.providers, config.limits.provider_timeout, metrics_, &alerts_, config.limits.refresh_pace}),
          keep_alive_(io_, tokens_, config.providers),
          admin_{maintenance, &io_, false, false, 0, {}, &store_runner_},
          context_{tokens_,
                   std::make_shared<const policy::Policy>(config.policy),
                   std::move(audit),
                   hashes_,
                   std::chrono::steady_clock::now(),
                   connections_,
                   admin_,
                   hasher_,
                   *metrics_,
                   admission_,
                   store_health_} {}

    Result<void> listen();
    void run();

private:
    asio::awaitable<void> accept_loop();
    asio::awaitable<void> watchdog_loop();
    void wait_for_hangup();
    void reload();
    asio::awaitable<void> session(local::socket socket);
    // std::nullopt once `uid`'s connection is served in `account` (release() that after), or why it is refused.
    asio::awaitable<std::optional<Error>> admit(uid_t uid, Admission::Account account);
    void release(Admission::Account account);
    asio::awaitable<void> serve(Stream& stream, Session& state, const peer::PeerIdentity& caller);
    asio::awaitable<void> refuse_unread(Stream& stream, Session& state, boost::system::error_code ec);
    void stop();

    const daemon::DaemonConfig& config_;
    const ServeOptions options_;
    const systemd::Notifier notifier_ = systemd::Notifier::from_environment();
    Reloader reload_;
    daemon::DaemonConfig applied_ = config_;  // the last configuration taken, for the reload diff
    const std::uint64_t open_files_ = raise_open_files(config_.limits.max_connections);
    Closer closer_{closer_bound(open_files_)};  // before io_: it outlives every session
    asio::io_context io_;
    local::acceptor acceptor_;
    asio::steady_timer watchdog_;
    asio::signal_set signals_;
    asio::signal_set hangup_;
    peer::ExeHashCache hashes_;  // `credctl policy check` only
    peer::ExeHasher hasher_;
    peer::UserNames names_;  // callers' login names, kept for a second
    peer::SubordinateUids subordinate_{"/etc/subuid", {}, [this](uid_t u) { return names_.name(u).has_value(); }};
    const std::shared_ptr<metrics::DaemonMetrics> metrics_ = std::make_shared<metrics::DaemonMetrics>();
    metrics::CountingStore counted_store_;  // the store as TokenService sees it
    store::StoreRunner store_runner_;       // every store call; joins before the store goes, after its users
    notify::Alerter alerts_;                // before tokens_, which tells it of state changes
    tokens::TokenService tokens_;
    tokens::KeepAlive keep_alive_;
    Admission admission_ = admission_for(config_.limits, open_files_);
    std::map<Admission::Ticket, Waiter*> waiters_;
    std::size_t connections_ = 0;  // served now
    AdminState admin_;
    StoreHealth store_health_{config_.store};
    ApiContext context_;
    std::set<Session*> sessions_;
    StopGrace grace_{io_, sessions_};
    std::string where_ = config_.socket;
    bool stopping_ = false;
    std::uint64_t served_ = 0;  // requests answered: whether others were, while a session waited
    ReplyRound rounds_{io_, stopping_, config_.limits.idle_timeout};
};

Result<void> Server::listen() {
    boost::system::error_code ec;
    if (options_.listen_fd >= 0) {
        acceptor_.assign(local(), options_.listen_fd, ec);
        if (ec) return make_error(Errc::internal, "cannot serve the socket-activated fd: " + ec.message());
        where_ = acceptor_.local_endpoint(ec).path() + " (socket-activated)";
        return {};
    }
    return listen_on(acceptor_, config_.socket, config_.socket_mode);
}

void Server::run() {
    signals_.async_wait([this](const boost::system::error_code& ec, int sig) {
        if (ec) return;
        log::info("received signal " + std::to_string(sig) + ", draining and stopping");
        stop();
    });
    wait_for_hangup();
    asio::co_spawn(io_, accept_loop(), [](const std::exception_ptr& e) {
        if (e) log::error("accept loop ended by an exception");
    });
    // Before the I/O thread runs: no store block has been given yet.
    if (admin_.store != nullptr && admin_.store->rotating()) {
        log::info("resuming an interrupted key rotation");
        start_rotation(admin_);
    }
    if (notifier_.watchdog_period()) {
        asio::co_spawn(io_, watchdog_loop(), [](const std::exception_ptr& e) {
            if (e) log::error("watchdog loop ended by an exception");
        });
    }
    keep_alive_.start();
    log::info("credd " CREDCTL_VERSION " listening on " + where_);
    notifier_.ready("listening on " + where_);
    io_.run();
    if (options_.listen_fd < 0) ::unlink(config_.socket.c_str());  // an activated socket's path is systemd's
    log::info("credd stopped");
}

void Server::wait_for_hangup() {
    hangup_.async_wait([this](const boost::system::error_code& ec, int) {
        if (ec || stopping_) return;  // one taken in the same turn as a SIGTERM: after stop(), no reload
        // sd_notify(3): RELOADING=1 first, READY=1 once done, whether the new
        // configuration was taken or rejected, so systemctl reload returns.
        notifier_.reloading();
        reload();
        notifier_.ready("listening on " + where_);
        wait_for_hangup();
    });
}

// Runs on the I/O thread, between requests' steps: sessions that already
// hold the old policy keep it until their request ends.
void Server::reload() {
    const auto reject = [](const Error& e) {
        log::error("reload rejected, keeping the current configuration: " + e.message);
    };
    names_.clear();  // a user renamed before the reload counts from now, whatever the file holds
    auto next = reload_();
    if (!next) return reject(next.error());
    auto changes = daemon::reloadable_changes(applied_, *next);
    if (!changes) return reject(changes.error());
    auto audit = audit::AuditLog::open(next->audit_file, next->audit);
    if (!audit) return reject(audit.error());
    for (const auto& c : *changes) log::info("reload: " + daemon::describe(c));
    context_.policy = std::make_shared<const policy::Policy>(next->policy);
    context_.audit = std::move(*audit);
    applied_ = std::move(*next);
    log::info("configuration reloaded: " + std::to_string(context_.policy->grants.size()) + " grant(s), owner rule " +
              (context_.policy->owner_access ? "on" : "off"));
}

void Server::stop() {
    stopping_ = true;
    admin_.stopping = true;
    notifier_.stopping();
    alerts_.stop();
    boost::system::error_code ec;
    watchdog_.cancel();
    keep_alive_.stop();
    tokens_.stop([this](std::chrono::seconds longest) { notifier_.extend_stop(longest); });
    acceptor_.close(ec);
    signals_.cancel(ec);
    hangup_.cancel(ec);
    grace_.stop();  // idle sessions close now, busy ones finish their request (session_state.hpp)
    for (auto& [ticket, w] : waiters_) w->timer.cancel();
}

asio::awaitable<void> Server::accept_loop() {
    while (!stopping_) {
        auto [ec, socket] = co_await acceptor_.async_accept(k_tuple);
        if (ec) {
            if (stopping_ || ec == asio::error::operation_aborted) co_return;
            // Out of descriptors (EMFILE, ENFILE) or memory: the connection
            // stays in the listen queue and a retry at once would fail
            // again, spinning the I/O thread. Pause, let sessions end.
            log::warning("accept failed: " + ec.message() + "; trying again in 100 ms");
            asio::steady_timer pause(io_, std::chrono::milliseconds(100));
            co_await pause.async_wait(k_tuple);
            continue;
        }
        asio::co_spawn(io_, session(std::move(socket)), [](const std::exception_ptr& e) {
            if (e) log::error("a session ended by an exception");
        });
    }
}

// WATCHDOG=1 from the I/O thread itself: if the loop wedges, pings stop and
// systemd restarts credd (WatchdogSec= in credd.service).
asio::awaitable<void> Server::watchdog_loop() {
    const auto period = *notifier_.watchdog_period();
    while (!stopping_) {
        notifier_.watchdog();
        watchdog_.expires_after(period);
        auto [ec] = co_await watchdog_.async_wait(k_tuple);
        if (ec) co_return;
    }
}

asio::awaitable<void> Server::session(local::socket socket) {
    // Limits are counted by uid before other work is done for a connection (a start time aside,
    // peer.hpp); the rest of its identity is taken once it is served.
    const auto cred = peer::peer_credentials(socket.native_handle());
    if (!cred) {
        log::warning(cred.error().message);
        co_return;
    }
    boost::system::error_code ec;
    socket.non_blocking(true, ec);  // for reply()'s immediate write (reply_round.hpp)
    if (ec) co_return;
    Stream stream(std::move(socket));
    Session state{&stream, false};
    sessions_.insert(&state);
    const auto owner = subordinate_.owner(cred->uid);  // a subordinate uid's: counted with the owner's others
    if (auto refused = co_await admit(cred->uid, Admission::account_of(cred->uid, owner))) {
        metrics_->connection_refused();
        ApiReply failure = problem(*refused);
        if (auto rest = reply(stream, failure, false, config_.limits.idle_timeout)) co_await std::move(*rest);
    } else {
        auto caller = peer::identify(stream.socket().native_handle(), *cred, context_.policy->needs_exe_hash, &names_);
        caller.subordinate_of = owner;
        co_await serve(stream, state, caller);
        release(Admission::account_of(cred->uid, owner));
    }
    sessions_.erase(&state);
    // The answer is written: the closer's thread closes the socket while this
    // one serves the next request (a shutdown(2) first would only wake the
    // peer twice). A socket the idle timeout closed has nothing to release.
    boost::system::error_code released;
    const int fd = stream.socket().release(released);
    if (!released) closer_.close(fd);
}

// A connection over its uid's limit waits, unread, for one of that uid's
// sessions to end, up to the idle plus the provider timeout: the longest a
// served request holds its slot without a byte from client or provider.
asio::awaitable<std::optional<Error>> Server::admit(uid_t uid, Admission::Account account) {
    Admission::Ticket ticket = 0;
    const auto verdict = admission_.arrive(uid, account, &ticket);
    connections_ = admission_.served();
    if (verdict == Admission::Verdict::serve) co_return std::nullopt;
    if (verdict == Admission::Verdict::refuse) {
        co_return make_error(Errc::too_many_requests, "too many connections; try again later");
    }
    const auto bound = config_.limits.idle_timeout + config_.limits.provider_timeout;
    Waiter waiter{asio::steady_timer(io_, bound), false};
    waiters_.emplace(ticket, &waiter);
    co_await waiter.timer.async_wait(k_tuple);
    waiters_.erase(ticket);
    if (waiter.admitted) co_return std::nullopt;
    admission_.give_up(account, ticket);
    co_return admission_.waited_too_long(uid, account, bound);
}

void Server::release(Admission::Account account) {
    if (const auto next = admission_.leave(account)) {
        if (auto it = waiters_.find(*next); it != waiters_.end()) {
            it->second->admitted = true;
            it->second->timer.cancel();
        }
    }
    connections_ = admission_.served();
}

asio::awaitable<void> Server::serve(Stream& stream, Session& state, const peer::PeerIdentity& caller) {
    const auto& limits = config_.limits;
    // The request's bytes, a login's refresh token among them, are zeroed as their storage is freed (secret_http.hpp).
    SecretBuffer buffer(request_buffer_limit(limits));
    bool waiting = true;  // a request likely waits: the first one, or one after others were served
    while (!stopping_) {
        // Optional to be freed before the request is handled, which may wait.
        std::optional<http::request_parser<SecretBody, ZeroingAllocator<char>>> reading(std::in_place);
        auto& parser = *reading;
        apply_request_limits(parser, limits);
        std::size_t n = 0;
        std::size_t more = 0;  // after what head_at_once took (a request line whose fields are to come)
        boost::system::error_code ec;
        const bool at_once = waiting && head_at_once(stream.socket(), buffer, parser, n, ec);
        // The idle timeout bounds the head and the body together.
        if (!at_once || (!ec && !parser.is_done())) stream.expires_after(limits.idle_timeout);
        if (!at_once) std::tie(ec, more) = co_await http::async_read_header(stream, buffer, parser, k_tuple);
        n += more;
        if (!ec) ec = head_failure(parser, n, limits);
        // A request without a body is complete with its head: async_read would take a loop's turn to say so.
        if (!ec && !parser.is_done()) std::tie(ec, n) = co_await http::async_read(stream, buffer, parser, k_tuple);
        state.busy = true;  // only now: a stop closes a session whose client holds the body back
        if (ec) {
            co_await refuse_unread(stream, state, ec);
            co_return;
        }
        auto& req = parser.get();
        ApiRequest api{std::string(req.method_string()), std::string(req.target()), std::move(req.body())};
        const bool keep_alive = req.keep_alive();
        reading.reset();
        // Frees the request's bytes before the request is handled, which may
        // wait for a refresh (what a pipelined request left is moved first).
        buffer.shrink_to_fit();
        auto started = start(context_, caller, api, io_.get_executor());
        if (!started.ready) started.ready = co_await std::move(started.later);
        ApiReply& r = *started.ready;
        const auto served = ++served_;
        if (started.audit && !started.audit->flushed(started.audit_line)) {
            // Its audit line first: the round writes it, then the answer, and
            // lets other sessions go first (reply_round.hpp).
            QueuedReply queued(stream, r, keep_alive && !r.close, started.audit, started.audit_line);
            co_await rounds_.send(queued);
            if (queued.rest) co_await write_rest(state, grace_, std::move(*queued.rest));
            state.busy = false;
            if (!queued.keep_alive) co_return;
            waiting = queued.others_in_round || served_ != served;
            continue;
        }
        if (auto rest = reply(stream, r, keep_alive && !r.close && !stopping_, limits.idle_timeout))
            co_await write_rest(state, grace_, std::move(*rest));
        state.busy = false;
        const bool ends = !keep_alive || r.close;
        // Others first: a session ending is torn down after the answers ready now (one refresh's waiters),
        // one going on reads later, its next request rarely there yet (docs/benchmarks.md, "One read per request").
        if (ends || buffer.size() == 0) co_await asio::post(io_, k_tuple);
        if (ends) co_return;
        waiting = served_ != served;
    }
}

// What the client of a request that could not be read is told, if anything
// is owed (read_failure()); the session ends after.
asio::awaitable<void> Server::refuse_unread(Stream& stream, Session& state, boost::system::error_code ec) {
    if (auto failure = read_failure(ec, config_.limits)) {
        ApiReply r = problem(*failure);
        if (auto rest = reply(stream, r, false, config_.limits.idle_timeout))
            co_await write_rest(state, grace_, std::move(*rest));
        state.busy = false;  // a stop closes it at once
        if (!stopping_) co_await linger(stream);
    }
}
}  // namespace

Result<void> run_server(const daemon::DaemonConfig& config, store::Store& store, store::Maintenance* maintenance,
                        Reloader reload, const ServeOptions& options) {
    auto audit = audit::AuditLog::open(config.audit_file, config.audit);
    if (!audit) return audit.error();
    Server server(config, store, std::move(*audit), maintenance, std::move(reload), options);
    if (auto r = server.listen(); !r) return r;
    server.run();
    return {};
}

}  // namespace credctl::server
