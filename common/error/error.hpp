// One error model for every layer of credctl.
//
// Recoverable failures are values: Result<T> holds either a T or an Error.
// An Error carries one stable code (Errc) and a human message. The same code
// becomes the daemon API's problem `code`, its HTTP status, and the CLI's exit
// status, so that the three never drift apart (see error_table in error.cpp).
//
// Messages name the thing and the bad value, never a secret.
// Thread-safety: all functions are pure; Error is a plain value.
#pragma once

#include <boost/system/result.hpp>

#include <string>
#include <string_view>

namespace credctl {

// Stable codes. The spelling of each enumerator is its wire code; never rename.
enum class Errc {
    bad_request,
    forbidden,
    not_found,
    login_required,
    provider_unavailable,
    payload_too_large,
    too_many_requests,
    store_full,
    daemon_unreachable,
    usage,
    internal,
};

struct Error {
    Errc code = Errc::internal;
    std::string message;
};

template <class T>
using Result = boost::system::result<T, Error>;

[[nodiscard]] Error make_error(Errc code, std::string message);

// One attempt at something that may work when tried again later (a request
// to an OAuth provider): its result, and whether trying again may help.
// Transport failures, timeouts, HTTP 5xx and 429 may; a malformed URL, a
// certificate that does not verify, a refused grant or a malformed answer
// will not. Default: not attempted, not retryable.
template <class T>
struct Attempt {
    Result<T> result = make_error(Errc::internal, "not attempted");
    bool retryable = false;
};

// The wire spelling of a code ("login_required").
[[nodiscard]] std::string_view to_string(Errc code);
// The inverse of to_string; unknown strings map to Errc::internal.
[[nodiscard]] Errc errc_from_string(std::string_view code);
// HTTP status the daemon answers with for this code.
[[nodiscard]] int http_status(Errc code);
// Exit status of credctl for this code (documented in credctl(1)).
[[nodiscard]] int exit_code(Errc code);

// Required by boost::system::result::value() when it holds an Error.
[[noreturn]] void throw_exception_from_error(const Error& e, const boost::source_location& loc);

}  // namespace credctl
