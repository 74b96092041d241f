#include "daemon/server/api.hpp"

#include "common/log/log.hpp"
#include "common/wire/policy_wire.hpp"
#include "common/wire/wire.hpp"
#include "daemon/server/exe_check.hpp"

#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/url/parse.hpp>
#include <boost/url/url_view.hpp>

#include <array>
#include <optional>
#include <vector>

namespace credctl::server {
namespace {

namespace asio = boost::asio;
using policy::Permission;

// A day is far beyond any access token lifetime; bigger asks are mistakes.
constexpr std::int64_t k_max_min_valid_seconds = 24 * 3600;
// Without an explicit ask, a token must stay good for this long.
constexpr std::int64_t k_default_min_valid_seconds = 60;
// A caller's deadline for one token request: up to an hour.
constexpr std::int64_t k_max_timeout_ms = 3600 * 1000;

struct Params {
    std::string user;
    std::string provider;
    const peer::PeerIdentity* caller = nullptr;
    const policy::Policy* policy = nullptr;
    boost::urls::url_view url;  // the request target, parsed once
};

using Handler = asio::awaitable<Result<ApiReply>> (*)(ApiContext&, const Params&, const ApiRequest&);

struct Route {
    // No default constructor: every route names its permission.
    constexpr Route(std::string_view m, std::string_view p, Permission perm, Handler h)
        : method(m), pattern(p), permission(perm), handler(h) {}
    std::string_view method;
    std::string_view pattern;  // "{user}" and "{provider}" capture a segment
    Permission permission;
    Handler handler;
};

ApiReply json_reply(int status, std::string body) {
    return ApiReply{status, std::move(body), "application/json"};
}

asio::awaitable<Result<ApiReply>> put_credential(ApiContext& c, const Params& p, const ApiRequest& r) {
    auto login = wire::parse_store_credential(r.body);
    if (!login) co_return login.error();
    if (auto s = c.tokens.store_login({p.user, p.provider}, std::move(*login)); !s) co_return s.error();
    log::info("stored credential credentials/" + p.user + "/" + p.provider);
    co_return ApiReply{204, {}, {}};
}

// The value of query parameter `name` of the request, if present.
std::optional<std::string> query_param(const Params& p, std::string_view name) {
    if (auto it = p.url.params().find(name); it != p.url.params().end()) return std::string((*it).value);
    return std::nullopt;
}

// Query parameter `name` as an integer in lo..hi, or `fallback` when absent.
// `unit` (" seconds" or "") only words the error.
Result<std::int64_t> bounded_param(const Params& p, std::string_view name, std::int64_t lo, std::int64_t hi,
                                   std::int64_t fallback, std::string_view unit) {
    const auto text = query_param(p, name);
    if (!text) return fallback;
    char* end = nullptr;
    const long long v = std::strtoll(text->c_str(), &end, 10);
    if (text->empty() || *end != '\0' || v < lo || v > hi) {
        return make_error(Errc::bad_request, std::string(name) + " must be " + std::to_string(lo) + ".." +
                                                 std::to_string(hi) + std::string(unit) + ": \"" + *text + "\"");
    }
    return v;
}

asio::awaitable<Result<ApiReply>> get_token(ApiContext& c, const Params& p, const ApiRequest&) {
    const auto min_valid =
        bounded_param(p, "min_valid", 0, k_max_min_valid_seconds, k_default_min_valid_seconds, " seconds");
    if (!min_valid) co_return min_valid.error();
    // 0: wait as long as the refresh takes.
    const auto timeout_ms = bounded_param(p, "timeout_ms", 1, k_max_timeout_ms, 0, "");
    if (!timeout_ms) co_return timeout_ms.error();
    // A named key, not a braced temporary: see GCC PR 99576 in server.cpp.
    const store::CredentialKey key{p.user, p.provider};
    std::vector<std::string> scopes;  // RFC 6749 §6 down-scoping: space-separated
    const std::string scope = query_param(p, "scope").value_or("");
    for (std::size_t i = 0; i < scope.size();) {
        const auto end = std::min(scope.find(' ', i), scope.size());
        if (end > i) scopes.push_back(scope.substr(i, end - i));
        i = end + 1;
    }
    const std::chrono::seconds min_valid_s(*min_valid);
    const std::chrono::milliseconds timeout(*timeout_ms);
    auto t = co_await c.tokens.token(key, min_valid_s, std::move(scopes), timeout);
    if (!t) co_return t.error();
    co_return json_reply(200, wire::to_json(*t));
}

asio::awaitable<Result<ApiReply>> list_credentials(ApiContext& c, const Params& p, const ApiRequest&) {
    auto l = c.tokens.list(p.user);
    if (!l) co_return l.error();
    co_return json_reply(200, wire::to_json(*l));
}

// ?revoke=false skips the RFC 7009 revocation; ?keep_on_failure=true keeps
// the credential when the provider cannot be told.
asio::awaitable<Result<ApiReply>> delete_credential(ApiContext& c, const Params& p, const ApiRequest&) {
    const store::CredentialKey key{p.user, p.provider};
    const auto revoke = query_param(p, "revoke") == "false" ? tokens::Revoke::no : tokens::Revoke::yes;
    const auto keep =
        query_param(p, "keep_on_failure") == "true" ? tokens::OnRevokeFailure::keep : tokens::OnRevokeFailure::remove;
    auto removed = co_await c.tokens.remove(key, revoke, keep);
    if (!removed) co_return removed.error();
    log::info("deleted credential credentials/" + p.user + "/" + p.provider +
              (removed->revoked ? " (revoked at the provider)" : ""));
    co_return json_reply(200, wire::to_json(*removed));
}

asio::awaitable<Result<ApiReply>> get_providers(ApiContext& c, const Params&, const ApiRequest&) {
    co_return json_reply(200, wire::to_json(c.tokens.providers()));
}

asio::awaitable<Result<ApiReply>> get_status(ApiContext& c, const Params&, const ApiRequest&) {
    wire::Status s;
    s.version = CREDCTL_VERSION;
    s.uptime_seconds =
        std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() - c.started).count();
    s.connections = static_cast<std::int64_t>(c.connections);
    auto n = c.tokens.count();
    s.credentials = n ? static_cast<std::int64_t>(*n) : -1;
    s.store = n ? "ok" : n.error().message;
    co_return json_reply(200, wire::to_json(s));
}

wire::Identity to_wire(const peer::PeerIdentity& c) {
    wire::Identity i;
    i.pid = c.pid;
    i.uid = c.uid;
    i.gid = c.gid;
    i.groups.assign(c.groups.begin(), c.groups.end());
    i.user = c.user;
    i.exe = c.exe;
    i.exe_sha256 = c.exe_sha256;
    i.systemd_unit = c.unit;
    i.verified = c.verified;
    i.liveness = std::string(peer::to_string(c.liveness));
    return i;
}

asio::awaitable<Result<ApiReply>> get_whoami(ApiContext&, const Params& p, const ApiRequest&) {
    wire::Whoami w;
    w.identity = to_wire(*p.caller);
    w.owner_access = p.policy->owner_access;
    for (const auto* g : policy::grants_for(*p.policy, *p.caller)) {
        w.grants.push_back({g->name, policy::permission_names(g->permissions), g->resources});
    }
    co_return json_reply(200, wire::to_json(w));
}

std::optional<Permission> permission_named(std::string_view name) {
    for (auto perm : {Permission::token, Permission::login, Permission::read, Permission::remove, Permission::admin}) {
        if (policy::to_string(perm) == name) return perm;
    }
    return std::nullopt;
}

// The identity to check: the caller itself, or the one it describes.
peer::PeerIdentity subject_of(ApiContext& c, const Params& p, const wire::PolicyCheck& check) {
    if (check.as_uid) {
        return peer::hypothetical(static_cast<uid_t>(*check.as_uid), check.exe, check.systemd_unit, c.hashes);
    }
    peer::PeerIdentity id = *p.caller;
    if (check.exe || check.systemd_unit) {
        auto described = peer::hypothetical(id.uid, check.exe, check.systemd_unit, c.hashes);
        if (check.exe) {
            id.exe = described.exe;
            id.exe_sha256 = described.exe_sha256;
        }
        if (check.systemd_unit) id.unit = described.unit;
    }
    return id;
}

asio::awaitable<Result<ApiReply>> post_policy_check(ApiContext& c, const Params& p, const ApiRequest& r) {
    auto check = wire::parse_policy_check(r.body);
    if (!check) co_return check.error();
    const auto perm = permission_named(check->permission);
    if (!perm) co_return make_error(Errc::bad_request, "unknown permission: \"" + check->permission + "\"");
    if (!wire::valid_name(check->user) || !wire::valid_name(check->provider)) {
        co_return make_error(Errc::bad_request, "invalid user or provider name");
    }
    const peer::PeerIdentity subject = subject_of(c, p, *check);
    const policy::Resource resource{check->user, check->provider};
    const auto decision = policy::decide(*p.policy, subject, *perm, resource);
    wire::PolicyDecision out{decision.allowed,
                             policy::to_string(resource),
                             std::string(policy::to_string(*perm)),
                             decision.grant,
                             decision.reason,
                             to_wire(subject)};
    co_return json_reply(200, wire::to_json(out));
}

// Adapters of the admin handlers (admin_api.hpp) to the route table.
asio::awaitable<Result<ApiReply>> get_admin_store(ApiContext& c, const Params&, const ApiRequest& r) {
    co_return admin_store_status(c.admin, r);
}
asio::awaitable<Result<ApiReply>> post_admin_check(ApiContext& c, const Params&, const ApiRequest& r) {
    co_return co_await admin_check(c.admin, r);
}
asio::awaitable<Result<ApiReply>> post_admin_backup(ApiContext& c, const Params&, const ApiRequest& r) {
    co_return admin_backup(c.admin, r);
}
asio::awaitable<Result<ApiReply>> post_admin_rotate_key(ApiContext& c, const Params&, const ApiRequest& r) {
    co_return admin_rotate_key(c.admin, r);
}
asio::awaitable<Result<ApiReply>> post_admin_master_key(ApiContext& c, const Params&, const ApiRequest& r) {
    co_return admin_replace_master_key(c.admin, r);
}

constexpr std::array<Route, 13> k_routes{{
    {"PUT", "/v1/users/{user}/credentials/{provider}", Permission::login, put_credential},
    {"GET", "/v1/users/{user}/credentials/{provider}/token", Permission::token, get_token},
    {"GET", "/v1/users/{user}/credentials", Permission::read, list_credentials},
    {"DELETE", "/v1/users/{user}/credentials/{provider}", Permission::remove, delete_credential},
    {"GET", "/v1/providers", Permission::any_local, get_providers},
    {"GET", "/v1/status", Permission::any_local, get_status},
    {"GET", "/v1/whoami", Permission::any_local, get_whoami},
    {"POST", "/v1/policy/check", Permission::admin, post_policy_check},
    {"GET", "/v1/admin/store", Permission::admin, get_admin_store},
    {"POST", "/v1/admin/check", Permission::admin, post_admin_check},
    {"POST", "/v1/admin/backup", Permission::admin, post_admin_backup},
    {"POST", "/v1/admin/rotate-key", Permission::admin, post_admin_rotate_key},
    {"POST", "/v1/admin/master-key", Permission::admin, post_admin_master_key},
}};

std::vector<std::string> split_path(std::string_view path) {
    std::vector<std::string> out;
    std::size_t pos = 1;
    while (pos <= path.size()) {
        const auto next = path.find('/', pos);
        const auto end = next == std::string_view::npos ? path.size() : next;
        out.emplace_back(path.substr(pos, end - pos));
        pos = end + 1;
    }
    return out;
}

// Matches decoded path segments against a pattern; fills user and provider.
// The pattern is walked in place: no allocation per route tried.
bool match(std::string_view pattern, const std::vector<std::string>& segments, Params& params) {
    std::size_t i = 0;
    for (std::size_t pos = 1; pos <= pattern.size(); ++i) {
        const auto next = pattern.find('/', pos);
        const auto end = next == std::string_view::npos ? pattern.size() : next;
        const std::string_view want = pattern.substr(pos, end - pos);
        pos = end + 1;
        if (i == segments.size()) return false;
        if (want == "{user}") {
            params.user = segments[i];
        } else if (want == "{provider}") {
            params.provider = segments[i];
        } else if (want != segments[i]) {
            return false;
        }
    }
    return i == segments.size();
}

// The decision on one request, the number of its audit line (0: none), and
// whether its connection is to be closed after the answer.
struct Authorization {
    std::optional<Error> denied;
    std::uint64_t audit_line = 0;
    bool close = false;
};

// Makes sure a flush of `audit` is posted to `ex` while lines are queued: the
// first line of a batch posts it, and the lines queued after it, before it
// runs, go out with it.
void schedule_flush(const std::shared_ptr<audit::AuditLog>& audit, const asio::any_io_executor& ex) {
    if (audit->queued() != 1) return;
    asio::post(ex, [audit] {
        const auto lines = audit->queued();
        if (!audit->flush()) {
            log::error("audit log " + audit->path() + " cannot be written: " + std::to_string(lines) + " line(s) lost");
        }
    });
}

// Makes sure the counts of suppressed denials are written a period after the
// first of them, even if the flood stops: one timer per period at most.
void schedule_summary(const std::shared_ptr<audit::AuditLog>& audit, const asio::any_io_executor& ex) {
    const auto wait = audit->schedule_summary();
    if (!wait) return;
    auto timer = std::make_shared<asio::steady_timer>(ex, *wait);
    timer->async_wait([audit, timer](const boost::system::error_code&) {
        if (!audit->write_summaries())
            log::error("audit log " + audit->path() + " cannot be written: counts of suppressed denials lost");
    });
}

// Checks `permission` on `resource` for `caller` and queues the audit line.
// An allowed request that crosses users has its line written at once, and is
// refused when it could not be: nobody reads another user's credential
// unrecorded. Other lines are written by the flush of their batch, which the
// request waits for before it answers (handle()). A denial over the uid's
// rate limit has no line (it is counted) and closes its connection.
Authorization authorize(const policy::Policy& policy, const std::shared_ptr<audit::AuditLog>& audit,
                        const asio::any_io_executor& ex, const peer::PeerIdentity& caller, Permission permission,
                        const policy::Resource& resource) {
    auto decision = policy::decide(policy, caller, permission, resource);
    if (permission == Permission::any_local) return {};
    const std::string request_id = audit::new_request_id();
    const std::string resource_text = policy::to_string(resource);
    const std::string_view permission_text = policy::to_string(permission);
    const auto line = audit->append(
        {caller, request_id, resource_text, permission_text, decision.allowed, decision.grant, decision.reason});
    if (decision.allowed && caller.user != resource.user) {
        if (!audit->flush()) {
            log::error("audit log " + audit->path() + " cannot be written (request " + request_id + ")");
            decision = {false, "", "the audit log cannot be written, so access across users is refused"};
            log::warning("request " + request_id + " denied: " + decision.reason);
        }
    } else if (line != 0) {
        schedule_flush(audit, ex);
    } else {
        schedule_summary(audit, ex);
    }
    if (decision.allowed) return {std::nullopt, line};
    const std::string who = caller.user.value_or("uid " + std::to_string(caller.uid));
    return {make_error(Errc::forbidden, std::string(permission_text) + " on " + resource_text + " denied to " + who +
                                            ": " + decision.reason),
            line, line == 0};
}

}  // namespace

ApiReply problem(const Error& error) {
    return json_reply(http_status(error.code), wire::to_json(wire::Problem{error.code, error.message}));
}

asio::awaitable<ApiReply> handle(ApiContext& context, const peer::PeerIdentity& caller, const ApiRequest& request) {
    // This request runs under the policy in force when it arrived.
    const std::shared_ptr<const policy::Policy> policy = context.policy;
    const std::shared_ptr<audit::AuditLog> audit = context.audit;
    auto url = boost::urls::parse_origin_form(request.target);
    if (!url || url->path().empty() || url->path().front() != '/') {
        co_return problem(make_error(Errc::bad_request, "malformed request target"));
    }
    const auto segments = split_path(std::string(url->path()));
    bool path_known = false;
    for (const auto& route : k_routes) {
        Params params;
        if (!match(route.pattern, segments, params)) continue;
        path_known = true;
        if (route.method != request.method) continue;
        const bool per_user = route.pattern.find("{user}") != std::string_view::npos;
        if (per_user &&
            (!wire::valid_name(params.user) || (!params.provider.empty() && !wire::valid_name(params.provider)))) {
            co_return problem(
                make_error(Errc::bad_request, "invalid user or provider name in " + std::string(url->path())));
        }
        const policy::Resource resource =
            per_user ? policy::Resource{params.user, params.provider} : policy::Resource{"*", "*"};
        const auto ex = co_await asio::this_coro::executor;
        // Only this request waits while its caller's executable is hashed.
        std::optional<peer::PeerIdentity> hashed;
        if (policy::hash_could_allow(*policy, caller, route.permission, resource)) {
            hashed = caller;
            co_await with_exe_hash(context.hasher, *hashed);
        }
        const peer::PeerIdentity& subject = hashed ? *hashed : caller;
        const auto verdict = authorize(*policy, audit, ex, subject, route.permission, resource);
        ApiReply out;
        if (verdict.denied) {
            out = problem(*verdict.denied);
            out.close = verdict.close;
        } else {
            params.caller = &subject;
            params.policy = policy.get();
            params.url = *url;
            auto reply = co_await route.handler(context, params, request);
            out = reply ? std::move(*reply) : problem(reply.error());
        }
        // The audit line is written before the answer: the flush of its
        // batch was posted before this, and the executor runs in order.
        if (!audit->flushed(verdict.audit_line)) co_await asio::post(ex, asio::use_awaitable);
        co_return out;
    }
    if (path_known) co_return problem(make_error(Errc::bad_request, "method " + request.method + " not allowed here"));
    co_return problem(make_error(Errc::not_found, "no such endpoint: " + std::string(url->path())));
}

}  // namespace credctl::server
