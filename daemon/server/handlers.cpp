#include "daemon/server/handlers.hpp"

#include "common/log/log.hpp"
#include "common/wire/policy_wire.hpp"
#include "common/wire/wire.hpp"
#include "daemon/peer/peer.hpp"
#include "daemon/peer/subordinate_uids.hpp"
#include "daemon/server/api.hpp"

#include <boost/url/params_view.hpp>

#include <algorithm>
#include <cstdlib>
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

ApiReply json_reply(int status, SecretString body) {
    return ApiReply{status, std::move(body), "application/json"};
}

// The value of query parameter `name` of the request, if present.
std::optional<std::string> query_param(const RouteParams& p, std::string_view name) {
    if (auto it = p.query->find(name); it != p.query->end()) return std::string((*it).value);
    return std::nullopt;
}

// Query parameter `name` as an integer in lo..hi, or `fallback` when absent.
// `unit` (" seconds" or "") only words the error.
Result<std::int64_t> bounded_param(const RouteParams& p, std::string_view name, std::int64_t lo, std::int64_t hi,
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

std::optional<Permission> permission_named(std::string_view name) {
    for (auto perm : {Permission::token, Permission::login, Permission::read, Permission::remove, Permission::admin}) {
        if (policy::to_string(perm) == name) return perm;
    }
    return std::nullopt;
}

// The identity to check: the caller itself, or the one it describes.
peer::PeerIdentity subject_of(ApiContext& c, const RouteParams& p, const wire::PolicyCheck& check) {
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

}  // namespace

HandlerResult put_credential(ApiContext& c, const RouteParams& p, const ApiRequest& r) {
    auto login = wire::parse_store_credential(r.body);
    if (!login) co_return login.error();
    const store::CredentialKey key{p.user, p.provider};
    if (auto s = co_await c.tokens.store_login(key, std::move(*login)); !s) co_return s.error();
    log::info("stored credential credentials/" + p.user + "/" + p.provider);
    co_return ApiReply{204, {}, {}};
}

namespace {

// A handler's failure known before anything is awaited.
HandlerResult failed(Error e) {
    co_return e;
}

// The token `asked` brings, as the answer to GET .../token. token() holds
// the request's parameters (by value): this frame, held while a refresh is
// waited for, has only the token.
HandlerResult token_reply(asio::awaitable<Result<wire::AccessToken>> asked) {
    auto t = co_await std::move(asked);
    if (!t) co_return t.error();
    co_return json_reply(200, wire::to_json(*t));
}

}  // namespace

namespace {

// What GET .../token asks for, from its path and query.
struct TokenAsk {
    store::CredentialKey key;
    std::chrono::seconds min_valid;
    std::vector<std::string> scopes;      // RFC 6749 §6 down-scoping
    std::chrono::milliseconds timeout;    // 0: wait as long as the refresh takes
    std::optional<peer::Account> caller;  // whose budget a refresh is charged to (tokens/refresh_pace.hpp)
};

Result<TokenAsk> token_ask(const RouteParams& p) {
    const auto min_valid =
        bounded_param(p, "min_valid", 0, k_max_min_valid_seconds, k_default_min_valid_seconds, " seconds");
    if (!min_valid) return min_valid.error();
    const auto timeout_ms = bounded_param(p, "timeout_ms", 1, k_max_timeout_ms, 0, "");
    if (!timeout_ms) return timeout_ms.error();
    TokenAsk ask{{p.user, p.provider},
                 std::chrono::seconds(*min_valid),
                 {},
                 std::chrono::milliseconds(*timeout_ms),
                 std::nullopt};
    if (p.caller != nullptr) ask.caller = peer::account_of(p.caller->uid, p.caller->subordinate_of);
    const std::string scope = query_param(p, "scope").value_or("");  // space-separated
    for (std::size_t i = 0; i < scope.size();) {
        const auto end = std::min(scope.find(' ', i), scope.size());
        if (end > i) ask.scopes.push_back(scope.substr(i, end - i));
        i = end + 1;
    }
    return ask;
}

}  // namespace

// Not a coroutine: the parameters are read at once, and a request waiting
// for a refresh holds only token_reply()'s frame and token()'s.
HandlerResult get_token(ApiContext& c, const RouteParams& p, const ApiRequest&) {
    auto ask = token_ask(p);
    if (!ask) return failed(ask.error());
    return token_reply(
        c.tokens.token(std::move(ask->key), ask->min_valid, std::move(ask->scopes), ask->timeout, ask->caller));
}

Begun begin_get_token(ApiContext& c, const RouteParams& p, const ApiRequest&) {
    auto ask = token_ask(p);
    if (!ask) return {Result<ApiReply>(ask.error()), {}};
    if (auto t = c.tokens.cached(ask->key, ask->min_valid, ask->scopes)) {
        return {Result<ApiReply>(json_reply(200, wire::to_json(*t))), {}};
    }
    return {std::nullopt, token_reply(c.tokens.token(std::move(ask->key), ask->min_valid, std::move(ask->scopes),
                                                     ask->timeout, ask->caller))};
}

HandlerResult list_credentials(ApiContext& c, const RouteParams& p, const ApiRequest&) {
    auto l = co_await c.tokens.list(p.user);
    if (!l) co_return l.error();
    co_return json_reply(200, wire::to_json(*l));
}

HandlerResult list_all_credentials(ApiContext& c, const RouteParams& p, const ApiRequest&) {
    const std::string everyone;
    auto l = co_await c.tokens.list(everyone);
    if (!l) co_return l.error();
    if (const auto state = query_param(p, "state")) {
        std::erase_if(*l, [&](const wire::CredentialInfo& i) { return i.state != *state; });
    }
    co_return json_reply(200, wire::to_json(*l));
}

// ?revoke=false skips the RFC 7009 revocation; ?keep_on_failure=true keeps
// the credential when the provider cannot be told.
HandlerResult delete_credential(ApiContext& c, const RouteParams& p, const ApiRequest&) {
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

HandlerResult get_providers(ApiContext& c, const RouteParams&, const ApiRequest&) {
    co_return json_reply(200, wire::to_json(c.tokens.providers()));
}

HandlerResult get_status(ApiContext& c, const RouteParams& p, const ApiRequest&) {
    wire::Status s;
    s.version = CREDCTL_VERSION;
    s.uptime_seconds =
        std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() - c.started).count();
    s.connections = static_cast<std::int64_t>(c.connections);
    s.administrator = policy::decide(*p.policy, *p.caller, Permission::admin, {"*", "*"}).allowed;
    co_await c.store_health.fill(s, c.tokens, s.administrator, std::chrono::steady_clock::now());
    co_return json_reply(200, wire::to_json(s));
}

HandlerResult get_whoami(ApiContext&, const RouteParams& p, const ApiRequest&) {
    wire::Whoami w;
    w.identity = to_wire(*p.caller);
    w.owner_access = p.policy->owner_access;
    for (const auto* g : policy::grants_for(*p.policy, *p.caller)) {
        w.grants.push_back({g->name, policy::permission_names(g->permissions), g->resources});
    }
    co_return json_reply(200, wire::to_json(w));
}

HandlerResult post_policy_check(ApiContext& c, const RouteParams& p, const ApiRequest& r) {
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

// Gauges are read now (daemon/metrics/daemon_metrics.hpp): credentials by
// state from the store, through the same listing as `credctl list`.
HandlerResult get_metrics(ApiContext& c, const RouteParams&, const ApiRequest&) {
    metrics::Snapshot now{c.admission.served(), c.admission.waiting(), std::nullopt};
    const std::string everyone;
    if (auto all = co_await c.tokens.list(everyone); all) {
        now.credentials.emplace();
        now.credentials->fill(0);
        for (const auto& info : *all) {
            const auto& states = metrics::k_credential_states;
            const auto at = std::find(states.begin(), states.end(), info.state);
            if (at != states.end()) ++(*now.credentials)[static_cast<std::size_t>(at - states.begin())];
        }
    } else {
        log::warning("metrics: cannot count credentials by state: " + all.error().message);
    }
    co_return ApiReply{200, SecretString(c.metrics.render(now)), "text/plain; version=0.0.4; charset=utf-8"};
}

}  // namespace credctl::server
