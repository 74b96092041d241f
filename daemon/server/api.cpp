#include "daemon/server/api.hpp"

#include "common/log/log.hpp"
#include "common/wire/wire.hpp"
#include "daemon/audit/recorder.hpp"
#include "daemon/server/exe_check.hpp"
#include "daemon/server/routes.hpp"

#include <boost/asio/this_coro.hpp>
#include <boost/url/grammar/charset.hpp>
#include <boost/url/grammar/lut_chars.hpp>
#include <boost/url/params_view.hpp>
#include <boost/url/parse.hpp>
#include <boost/url/parse_query.hpp>
#include <boost/url/rfc/unreserved_chars.hpp>

#include <memory>
#include <optional>

namespace credctl::server {
namespace {

namespace asio = boost::asio;

// The decision on one request, the number of its audit line (0: none), and
// whether its line was counted instead of written (over its uid's rate
// limit). A denial so counted closes its connection after the answer.
struct Authorization {
    std::optional<Error> denied;
    std::uint64_t audit_line = 0;
    bool suppressed = false;
    [[nodiscard]] bool close() const { return denied && suppressed; }
};

// Checks `route`'s permission on `resource` for `caller` and records the
// decision when the route is audited. An allowed request that crosses users
// has its line written at once, and is refused when it could not be: nobody
// reads another user's credential unrecorded. Other lines are written by the
// flush of their batch, which the request waits for before it answers
// (handle()). A line over the uid's rate limit is counted instead (one
// that reads another user's credentials never is); a denial over it also
// closes its connection.
Authorization authorize(const policy::Policy& policy, const std::shared_ptr<audit::AuditLog>& audit,
                        const asio::any_io_executor& ex, const peer::PeerIdentity& caller, const Route& route,
                        const policy::Resource& resource) {
    auto decision = policy::decide(policy, caller, route.permission, resource);
    if (route.audit == Audit::no) return {};
    const std::string request_id = audit::new_request_id();
    const std::string resource_text = policy::to_string(resource);
    const std::string_view permission_text = policy::to_string(route.permission);
    const bool at_once = decision.allowed && caller.user != resource.user;
    // Nobody reads another user's credential without its own line; other
    // lines pass their uid's rate limit.
    const bool exempt = at_once && resource.kind == policy::ResourceKind::credentials;
    const auto line = audit::record(
        audit, ex,
        {caller, request_id, resource_text, permission_text, decision.allowed, decision.grant, decision.reason},
        at_once ? audit::Urgency::at_once : audit::Urgency::batched,
        exempt ? audit::Limit::exempt : audit::Limit::applies);
    if (!line) {
        decision = {false, "", "the audit log cannot be written, so access across users is refused"};
        log::warning("request " + request_id + " denied: " + decision.reason);
    }
    if (decision.allowed) return {std::nullopt, *line, *line == 0};
    const std::string who = caller.user.value_or("uid " + std::to_string(caller.uid));
    const bool suppressed = line && *line == 0;
    return {make_error(Errc::forbidden, std::string(permission_text) + " on " + resource_text + " denied to " + who +
                                            ": " + decision.reason),
            line ? *line : 0, suppressed};
}

// The request and its audit line in credd's metrics (docs/metrics.md).
void count(metrics::DaemonMetrics& counters, const Route& route, const Authorization& verdict) {
    counters.request(route.method, route.pattern, !verdict.denied);
    if (route.audit == Audit::no) return;
    // A line numbered 0 is one counted, not written, or one the log did not
    // take.
    const bool failed = verdict.audit_line == 0 && !verdict.suppressed;
    counters.audit(verdict.suppressed ? metrics::AuditOutcome::suppressed
                   : failed           ? metrics::AuditOutcome::failed
                                      : metrics::AuditOutcome::written);
}

// The decision on `m` for `subject`, recorded (authorize()) and counted.
Authorization decide_on(metrics::DaemonMetrics& counters, const policy::Policy& policy,
                        const std::shared_ptr<audit::AuditLog>& audit, const asio::any_io_executor& ex,
                        const peer::PeerIdentity& subject, const RouteMatch& m) {
    auto verdict = authorize(policy, audit, ex, subject, *m.route, resource_of(m));
    count(counters, *m.route, verdict);
    return verdict;
}

ApiReply refusal(const Authorization& verdict) {
    ApiReply out = problem(*verdict.denied);
    out.close = verdict.close();
    return out;
}

// The reply the handler `begun` gives, once line `audit_line` of `audit`
// (the decision that let it run) is written. This frame is held while a
// refresh is waited for: it keeps only these.
asio::awaitable<ApiReply> finish_granted(asio::awaitable<Result<ApiReply>> begun,
                                         std::shared_ptr<audit::AuditLog> audit, std::uint64_t audit_line) {
    auto reply = co_await std::move(begun);
    co_await audit::written(audit, audit_line);
    co_return reply ? std::move(*reply) : problem(reply.error());
}

// The handler of `m.route` run under `policy` for `subject`, whose
// permission was granted and recorded as line `audit_line` of `audit`, and
// its reply once that line is written (finish_granted). `m` and `query` by
// value: this frame keeps them for the handler while it runs.
asio::awaitable<ApiReply> run_granted(ApiContext& context, const peer::PeerIdentity& subject, const ApiRequest& request,
                                      RouteMatch m, boost::urls::params_view query,
                                      std::shared_ptr<const policy::Policy> policy,
                                      std::shared_ptr<audit::AuditLog> audit, std::uint64_t audit_line) {
    const RouteParams params{m.user, m.provider, &subject, policy.get(), &query};
    auto handled = m.route->handler(context, params, request);
    co_return co_await finish_granted(std::move(handled), std::move(audit), audit_line);
}

// Runs the handler of `m.route` for `caller` once its permission is granted,
// when a hash of the caller's executable could decide it: only this request
// waits while the executable is hashed. The work between the waits is done
// in plain functions.
asio::awaitable<ApiReply> dispatch(ApiContext& context, const peer::PeerIdentity& caller, const ApiRequest& request,
                                   RouteMatch m, boost::urls::params_view query) {
    // This request runs under the policy in force when it arrived.
    std::shared_ptr<const policy::Policy> policy = context.policy;
    std::shared_ptr<audit::AuditLog> audit = context.audit;
    peer::PeerIdentity hashed = caller;
    co_await with_exe_hash(context.hasher, hashed);
    const auto ex = co_await asio::this_coro::executor;
    const auto verdict = decide_on(context.metrics, *policy, audit, ex, hashed, m);
    if (verdict.denied) {
        // The audit line is written before the answer.
        co_await audit::written(audit, verdict.audit_line);
        co_return refusal(verdict);
    }
    co_return co_await run_granted(context, hashed, request, std::move(m), query, std::move(policy), std::move(audit),
                                   verdict.audit_line);
}

// The {user} that wire::k_caller_user stands for: the caller's login name
// as credd sees it, if it can name a credential.
Result<std::string> caller_as_user(const peer::PeerIdentity& caller) {
    const std::string uid = std::to_string(caller.uid);
    if (!caller.user)
        return make_error(Errc::bad_request, "uid " + uid + " has no user name; name the user (credctl: --user)");
    if (!wire::valid_name(*caller.user)) {
        return make_error(Errc::bad_request, "the login name of uid " + uid +
                                                 " cannot name a credential; name the user (credctl: --user)");
    }
    return *caller.user;
}

// The route of `request` for `caller`, with the {user} it names checked.
struct Routed {
    RouteMatch match;
    // A view of the query's characters in the request, not of a parsed URL
    // (a fifth of the size, in a frame held while a refresh is waited for).
    boost::urls::params_view query;
};
// Whether `target` is '/' followed by '/' and unreserved characters only
// (RFC 3986 §2.3), as credctl's are: a valid origin-form target with no
// query and nothing to decode, whose path is the target itself. Such a
// target is not parsed again: Boost.URL's parse and the copy of the decoded
// path were ~5 % of credd's CPU per cached answer.
bool plain_path(std::string_view target) {
    constexpr boost::urls::grammar::lut_chars k_plain = boost::urls::unreserved_chars + '/';
    return !target.empty() && target.front() == '/' &&
           boost::urls::grammar::find_if_not(target.data(), target.data() + target.size(), k_plain) ==
               target.data() + target.size();
}

Result<Routed> route_of(const peer::PeerIdentity& caller, const ApiRequest& request) {
    std::string decoded;  // the path, when the target is not plain_path()
    std::string_view path = request.target;
    boost::urls::params_view query;
    if (!plain_path(request.target)) {
        auto url = boost::urls::parse_origin_form(request.target);
        // path() decodes into a new string each time: once.
        if (url) decoded = url->path();
        if (decoded.empty() || decoded.front() != '/') return make_error(Errc::bad_request, "malformed request target");
        path = decoded;
        // Parsed with the URL already: cannot fail.
        query = *boost::urls::parse_query(url->encoded_query());
    }
    RouteMatch m = find_route(request.method, path);
    if (!m.route) {
        if (m.path_known) return make_error(Errc::bad_request, "method " + request.method + " not allowed here");
        return make_error(Errc::not_found, "no such endpoint: " + std::string(path));
    }
    if (m.route->whose == Whose::path_user && m.user == wire::k_caller_user) {
        auto name = caller_as_user(caller);
        if (!name) return name.error();
        m.user = std::move(*name);
    }
    if (m.route->whose == Whose::path_user &&
        (!wire::valid_name(m.user) || (!m.provider.empty() && !wire::valid_name(m.provider)))) {
        return make_error(Errc::bad_request, "invalid user or provider name in " + std::string(path));
    }
    return Routed{std::move(m), query};
}

}  // namespace

ApiReply problem(const Error& error) {
    return ApiReply{http_status(error.code), wire::to_json(wire::Problem{error.code, error.message}),
                    "application/json"};
}

// Not a coroutine: a reply that needs no wait is made here, and a request
// waiting for a refresh holds no frame of this (docs/benchmarks.md,
// "Expiry stampede").
Handling start(ApiContext& context, const peer::PeerIdentity& caller, const ApiRequest& request,
               const asio::any_io_executor& ex) {
    auto routed = route_of(caller, request);
    if (!routed) return {problem(routed.error()), nullptr, 0, {}};
    RouteMatch& m = routed->match;
    // This request runs under the policy in force when it arrived.
    std::shared_ptr<const policy::Policy> policy = context.policy;
    if (policy::hash_could_allow(*policy, caller, m.route->permission, resource_of(m))) {
        return {std::nullopt, nullptr, 0, dispatch(context, caller, request, std::move(m), routed->query)};
    }
    std::shared_ptr<audit::AuditLog> audit = context.audit;
    const auto verdict = decide_on(context.metrics, *policy, audit, ex, caller, m);
    if (verdict.denied) return {refusal(verdict), std::move(audit), verdict.audit_line, {}};
    if (m.route->begin != nullptr) {
        const RouteParams params{m.user, m.provider, &caller, policy.get(), &routed->query};
        auto begun = m.route->begin(context, params, request);
        if (!begun.now) {
            return {std::nullopt, nullptr, 0,
                    finish_granted(std::move(begun.later), std::move(audit), verdict.audit_line)};
        }
        ApiReply now = *begun.now ? std::move(**begun.now) : problem(begun.now->error());
        return {std::move(now), std::move(audit), verdict.audit_line, {}};
    }
    return {std::nullopt, nullptr, 0,
            run_granted(context, caller, request, std::move(m), routed->query, std::move(policy), std::move(audit),
                        verdict.audit_line)};
}

asio::awaitable<ApiReply> handle(ApiContext& context, const peer::PeerIdentity& caller, const ApiRequest& request) {
    auto started = start(context, caller, request, co_await asio::this_coro::executor);
    if (!started.ready) co_return co_await std::move(started.later);
    if (started.audit) co_await audit::written(started.audit, started.audit_line);
    co_return std::move(*started.ready);
}

}  // namespace credctl::server
