#include "daemon/server/routes.hpp"

#include "daemon/server/admin_api.hpp"
#include "daemon/server/api.hpp"
#include "daemon/server/handlers.hpp"

#include <algorithm>
#include <array>

namespace credctl::server {
namespace {

using policy::Permission;

// An admin handler (admin_api.hpp) as a route's handler.
using AdminHandler = HandlerResult (*)(AdminState&, const ApiRequest&);
template <AdminHandler handler>
HandlerResult admin(ApiContext& c, const RouteParams&, const ApiRequest& r) {
    co_return co_await handler(c.admin, r);
}

constexpr std::array<Route, 16> k_routes{{
    {"PUT", "/v1/users/{user}/credentials/{provider}", Permission::login, Whose::path_user, Audit::yes, put_credential},
    {"GET", "/v1/users/{user}/credentials/{provider}/token", Permission::token, Whose::path_user, Audit::yes, get_token,
     begin_get_token},
    {"GET", "/v1/users/{user}/credentials", Permission::read, Whose::path_user, Audit::yes, list_credentials},
    {"GET", "/v1/credentials", Permission::admin, Whose::everyone, Audit::yes, list_all_credentials},
    {"DELETE", "/v1/users/{user}/credentials/{provider}", Permission::remove, Whose::path_user, Audit::yes,
     delete_credential},
    {"GET", "/v1/providers", Permission::any_local, Whose::everyone, Audit::no, get_providers},
    {"GET", "/v1/status", Permission::any_local, Whose::everyone, Audit::no, get_status},
    {"GET", "/v1/whoami", Permission::any_local, Whose::everyone, Audit::no, get_whoami},
    {"POST", "/v1/policy/check", Permission::admin, Whose::everyone, Audit::yes, post_policy_check},
    {"GET", "/v1/admin/store", Permission::admin, Whose::everyone, Audit::yes, admin<admin_store_status>},
    {"POST", "/v1/admin/check", Permission::admin, Whose::everyone, Audit::yes, admin<admin_check>},
    {"POST", "/v1/admin/backup", Permission::admin, Whose::everyone, Audit::yes, admin<admin_backup>},
    {"POST", "/v1/admin/restore", Permission::admin, Whose::everyone, Audit::yes, admin<admin_restore>},
    {"POST", "/v1/admin/rotate-key", Permission::admin, Whose::everyone, Audit::yes, admin<admin_rotate_key>},
    {"POST", "/v1/admin/master-key", Permission::admin, Whose::everyone, Audit::yes, admin<admin_replace_master_key>},
    {"GET", "/v1/metrics", Permission::metrics_read, Whose::metrics, Audit::yes, get_metrics},
}};

// Every decision that can deny is recorded; a route that skips the audit
// log must be one nobody can be refused.
constexpr bool audited_unless_open(const Route& r) {
    return (r.audit == Audit::no) == (r.permission == Permission::any_local);
}
// A route checked on the path's user names one, and only such routes do.
constexpr bool names_its_user(const Route& r) {
    return (r.whose == Whose::path_user) == (r.pattern.find("{user}") != std::string_view::npos);
}
constexpr bool all_routes(bool (*check)(const Route&)) {
    for (const auto& r : k_routes) {
        if (!check(r)) return false;
    }
    return true;
}
static_assert(all_routes(audited_unless_open), "a route that can deny must be audited");
static_assert(all_routes(names_its_user), "a route checked on the path's user must capture {user}");

// A path's segments; no route has more than k_most.
struct Segments {
    static constexpr std::size_t k_most = 8;
    std::array<std::string_view, k_most> at;
    std::size_t size = 0;
    bool more = false;  // the path has more segments than k_most: no route matches it
};

constexpr bool fits_segments(const Route& r) {
    return static_cast<std::size_t>(std::count(r.pattern.begin(), r.pattern.end(), '/')) <= Segments::k_most;
}
static_assert(all_routes(fits_segments), "a route's pattern must fit Segments");

Segments split_path(std::string_view path) {
    Segments out;
    std::size_t pos = 1;
    while (pos <= path.size()) {
        if (out.size == Segments::k_most) {
            out.more = true;
            break;
        }
        const auto next = path.find('/', pos);
        const auto end = next == std::string_view::npos ? path.size() : next;
        out.at[out.size++] = path.substr(pos, end - pos);
        pos = end + 1;
    }
    return out;
}

// Matches path segments against a pattern; fills user and provider.
// The pattern is walked in place: no allocation per route tried.
bool match(std::string_view pattern, const Segments& segments, RouteMatch& out) {
    if (segments.more) return false;
    std::size_t i = 0;
    for (std::size_t pos = 1; pos <= pattern.size(); ++i) {
        const auto next = pattern.find('/', pos);
        const auto end = next == std::string_view::npos ? pattern.size() : next;
        const std::string_view want = pattern.substr(pos, end - pos);
        pos = end + 1;
        if (i == segments.size) return false;
        // A name is never empty: ".../credentials/" names no provider.
        if (want.starts_with('{') && segments.at[i].empty()) return false;
        if (want == "{user}") {
            out.user = segments.at[i];
        } else if (want == "{provider}") {
            out.provider = segments.at[i];
        } else if (want != segments.at[i]) {
            return false;
        }
    }
    return i == segments.size;
}

}  // namespace

std::span<const Route> routes() {
    return k_routes;
}

RouteMatch find_route(std::string_view method, std::string_view path) {
    const auto segments = split_path(path);
    RouteMatch found;
    for (const auto& route : k_routes) {
        RouteMatch m;
        if (!match(route.pattern, segments, m)) continue;
        found.path_known = true;
        if (route.method != method) continue;
        m.route = &route;
        m.path_known = true;
        return m;
    }
    return found;
}

policy::Resource resource_of(const RouteMatch& m) {
    if (m.route->whose == Whose::path_user) return {m.user, m.provider};
    if (m.route->whose == Whose::metrics) return {"", "", policy::ResourceKind::metrics};
    return {"*", "*"};
}

}  // namespace credctl::server
