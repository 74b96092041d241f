// call_parsed(): one call to credd (DaemonClient::call) whose answer is read
// with a common/wire parse_* function. The commands that print either the
// parsed value as text or, for `--output json`, the answer as credd sent it
// get both from here. Errors: the call's (the daemon's problem, or an
// unreachable daemon), then the parser's (bad_response). Header-only;
// thread-safety as DaemonClient.
#pragma once

#include "cli/client/daemon_client.hpp"

#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

namespace credctl::cli {

template <class T>
struct Parsed {
    T value;
    SecretString body;  // the answer as it came, for --output json
};

template <class Parse>
using ParsedBy = Parsed<typename std::invoke_result_t<Parse, std::string_view>::value_type>;

// `method target` with `request_body`, its 2xx answer parsed by `parse`.
template <class Parse>
[[nodiscard]] Result<ParsedBy<Parse>> call_parsed(const DaemonClient& client, const std::string& method,
                                                  const std::string& target, Parse parse,
                                                  std::string_view request_body = {}) {
    auto reply = client.call(method, target, request_body);
    if (!reply) return reply.error();
    auto value = parse(reply->body);
    if (!value) return value.error();
    return ParsedBy<Parse>{std::move(*value), std::move(reply->body)};
}

}  // namespace credctl::cli
