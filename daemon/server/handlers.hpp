// The handlers of the daemon API's routes (docs/api.md), one per route of
// the table in routes.hpp (the admin routes' are in admin_api.hpp), which
// decides who may call them: a handler runs only once its route's
// permission was granted, and never checks one.
// Failures are Result errors, which handle() turns into problem replies.
//
// Used by routes.cpp. Thread-safety: I/O thread only.
#pragma once

#include "daemon/server/routes.hpp"

namespace credctl::server {

using HandlerResult = boost::asio::awaitable<Result<ApiReply>>;

HandlerResult put_credential(ApiContext& c, const RouteParams& p, const ApiRequest& r);
// Query: min_valid (seconds), timeout_ms, scope (space-separated).
HandlerResult get_token(ApiContext& c, const RouteParams& p, const ApiRequest& r);
// get_token begun (routes.hpp, Begin): the cached token at once, or the
// wait for one.
Begun begin_get_token(ApiContext& c, const RouteParams& p, const ApiRequest& r);
HandlerResult list_credentials(ApiContext& c, const RouteParams& p, const ApiRequest& r);
// Every user's credentials (administration). Query: state=STATE keeps
// those in that state (login_required, provider_unavailable...).
HandlerResult list_all_credentials(ApiContext& c, const RouteParams& p, const ApiRequest& r);
// Query: revoke=false, keep_on_failure=true.
HandlerResult delete_credential(ApiContext& c, const RouteParams& p, const ApiRequest& r);
HandlerResult get_providers(ApiContext& c, const RouteParams& p, const ApiRequest& r);
HandlerResult get_status(ApiContext& c, const RouteParams& p, const ApiRequest& r);
HandlerResult get_whoami(ApiContext& c, const RouteParams& p, const ApiRequest& r);
HandlerResult post_policy_check(ApiContext& c, const RouteParams& p, const ApiRequest& r);
// The Prometheus text format (docs/metrics.md).
HandlerResult get_metrics(ApiContext& c, const RouteParams& p, const ApiRequest& r);

}  // namespace credctl::server
