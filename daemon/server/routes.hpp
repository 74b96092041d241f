// The daemon API's route table (docs/api.md), in the manner of OpenSSH's
// monitor table: for each verb and path, the permission it needs, whose
// credentials that permission is checked on, whether the decision is written
// to the audit log, and the handler (with, for some, the handler begun so
// that it answers at once when it needs no wait). This table is the only
// place that decides these; start() (api.hpp) applies it, checking the
// permission before any handler runs, so handlers never check permissions.
// A Route cannot be built without naming all of them.
//
// Used by api.cpp, and by the tests that dispatch every route and hold the
// table against docs/api.md. Thread-safety: the table is constant.
#pragma once

#include "common/error/error.hpp"
#include "daemon/peer/peer.hpp"
#include "daemon/policy/policy.hpp"
#include "daemon/server/api.hpp"

#include <boost/asio/awaitable.hpp>

#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace boost::urls {
class params_view;
}

namespace credctl::server {

// The resource a route's permission is checked on.
enum class Whose {
    path_user,  // credentials/{user}/{provider} named by the path
    everyone,   // credentials/*/*: administration, or nobody's in particular
    metrics,    // the resource `metrics`
};

// Whether the route's decisions are written to the audit log. Only routes
// open to every local caller, which decide nothing, go unrecorded.
enum class Audit { yes, no };

// What a handler gets besides the context and the request.
struct RouteParams {
    const std::string& user;                          // the path's {user}, empty when it has none
    const std::string& provider;                      // the path's {provider}, empty when it has none
    const peer::PeerIdentity* caller = nullptr;       // as decided on (exe hash included)
    const policy::Policy* policy = nullptr;           // the policy the request runs under
    const boost::urls::params_view* query = nullptr;  // the request target's query, parsed once
};

using Handler = boost::asio::awaitable<Result<ApiReply>> (*)(ApiContext&, const RouteParams&, const ApiRequest&);
// The route's handler begun: its answer `now` when it needs no wait,
// otherwise `later`, which gives it (the request read once for both).
struct Begun {
    std::optional<Result<ApiReply>> now;
    boost::asio::awaitable<Result<ApiReply>> later;
};
using Begin = Begun (*)(ApiContext&, const RouteParams&, const ApiRequest&);

struct Route {
    constexpr Route(std::string_view m, std::string_view p, policy::Permission perm, Whose w, Audit a, Handler h,
                    Begin b = nullptr)
        : method(m), pattern(p), permission(perm), whose(w), audit(a), handler(h), begin(b) {}
    std::string_view method;
    std::string_view pattern;  // "{user}" and "{provider}" capture a segment
    policy::Permission permission;
    Whose whose;
    Audit audit;
    Handler handler;
    // The same answer as `handler`, begun so that it is given at once when
    // nothing is to be waited for; null: `handler` answers every request.
    // `handler` still answers the requests decided only once the caller's
    // executable is hashed.
    Begin begin;
};

// Every route, in the order they are tried.
[[nodiscard]] std::span<const Route> routes();

struct RouteMatch {
    const Route* route = nullptr;  // null: no route has this method and path
    bool path_known = false;       // a route has this path, maybe under another method
    std::string user;              // captured by the route's pattern
    std::string provider;
};

// The first route whose method is `method` and whose pattern matches the
// decoded `path` ("/v1/users/alice/credentials"), with its captures.
[[nodiscard]] RouteMatch find_route(std::string_view method, std::string_view path);

// The resource `m.route`'s permission is checked on. Precondition: m.route.
[[nodiscard]] policy::Resource resource_of(const RouteMatch& m);

}  // namespace credctl::server
