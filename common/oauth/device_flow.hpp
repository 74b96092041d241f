// The OAuth 2.0 device authorization grant (RFC 8628), for `credctl login
// --device` on machines without a browser: ask the provider for a device
// code and a user code, show the user where to enter it, then poll the token
// endpoint at the interval the provider asks for.
//
// Used by the CLI's login command, through run_blocking(). Thread-safety:
// reentrant; the two requests are coroutines on the executor that awaits
// them, whose arguments must outlive the co_await; wait_for_device_token
// blocks in `sleep`.
#pragma once

#include "common/oauth/oauth_client.hpp"

#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>

namespace credctl::oauth {

// RFC 8628 §3.2: "If no value is provided, clients MUST use 5 as the default."
constexpr std::int64_t k_device_default_interval_seconds = 5;
// RFC 8628 §3.5: slow_down adds 5 seconds to the interval, for good.
constexpr std::int64_t k_device_slow_down_seconds = 5;

struct DeviceAuthorization {
    SecretBytes device_code;
    std::string user_code;
    std::string verification_uri;
    std::string verification_uri_complete;  // may be empty
    std::int64_t expires_in = 0;            // seconds
    std::int64_t interval = k_device_default_interval_seconds;
};

enum class PollState { done, pending, slow_down };

struct PollResult {
    PollState state = PollState::pending;
    TokenSet tokens;  // when done
};

// RFC 8628 §3.1-3.2. Errors: provider_unavailable (no endpoint, refusal,
// malformed answer); login_required when the provider refuses the
// configured resource (invalid_target, RFC 8707).
[[nodiscard]] boost::asio::awaitable<Result<DeviceAuthorization>> async_start_device_authorization(
    const Endpoints& endpoints, const ProviderConfig& provider, const http::Options& options);
// `resource`: the one the request carried, named in an invalid_target error.
[[nodiscard]] Result<DeviceAuthorization> parse_device_authorization(int status, std::string_view body,
                                                                     std::string_view resource = {});

// One poll (§3.4-3.5). access_denied and expired_token are login_required
// errors naming what happened; a transport failure that may pass is
// `pending` (poll again).
[[nodiscard]] boost::asio::awaitable<Result<PollResult>> async_poll_device_token(const Endpoints& endpoints,
                                                                                 const ProviderConfig& provider,
                                                                                 const SecretBytes& device_code,
                                                                                 const http::Options& options);
[[nodiscard]] Result<PollResult> parse_device_poll(int status, std::string_view body, std::string_view resource = {});

// The forms of the two requests, each with the provider's resource if any:
// scope for the device authorization, the device_code grant for a poll (it
// holds the device code, hence a SecretString).
[[nodiscard]] SecretString device_authorization_form(const ProviderConfig& provider);
[[nodiscard]] SecretString device_poll_form(const ProviderConfig& provider, const SecretBytes& device_code);

// Polls until tokens, an error, or the device code's expiry; `sleep` waits
// between polls (a seam for tests). `poll` is async_poll_device_token run
// to completion, in the CLI.
using Poller = std::function<Result<PollResult>()>;
[[nodiscard]] Result<TokenSet> wait_for_device_token(const DeviceAuthorization& authorization, const Poller& poll,
                                                     const std::function<void(std::chrono::seconds)>& sleep);

}  // namespace credctl::oauth
