// The loopback redirect listener of a native-app login (RFC 8252 §7.3).
//
// Binds 127.0.0.1 only, on an ephemeral or given port, and waits for the
// browser to come back to /callback. A callback whose `state` is missing or
// wrong is refused with a 400 page and the wait goes on, so a stray or forged
// request cannot end the login; an `error=` answer is believed only with the
// right state. The listener closes when wait() returns.
//
// Any local user can connect to 127.0.0.1: a connection is served only when
// its client socket belongs to credctl's own uid (tcp_owner.hpp); any other,
// root's included, gets a 403 and the wait goes on. So another user can
// neither deliver a code of his own account with this login's `state` nor
// fetch the launch URL. Nor can he keep our browser out with a flood of
// idle connections: a foreign connection gets 2 s to send its request, at
// most 8 are read at once (any more are closed unread), and a failed accept
// (out of descriptors) is tried again after a pause. The first refusal is
// named in a warning on stderr, the others counted when the wait ends.
//
// The authorization URL (state, PKCE challenge, nonce) must not appear in a
// browser's argv, which every user can read in /proc: launch() gives a
// one-time loopback URL that redirects the browser to it. The listening and
// accepted sockets are close-on-exec.
//
// Paste-back (`credctl login --no-browser`, for SSH sessions): wait() can
// also read lines from standard input, each the address the browser was
// sent to; the first one with the right state ends the wait, like a callback.
//
// Thread-safety: one thread.
#pragma once

#include "common/error/error.hpp"
#include "common/secret/secret_string.hpp"

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace credctl::cli {

struct Callback {
    SecretString code;  // secret until exchanged
    std::string iss;    // RFC 9207, when the provider sent it
    std::string error;
    std::string error_description;
};

// Reads a callback from a redirect URL ("http://127.0.0.1:P/callback?...")
// or origin-form target ("/callback?..."). Errors: bad_request naming what is
// wrong (not a callback, state missing or wrong, no code); never echoes input.
[[nodiscard]] Result<Callback> parse_callback(std::string_view url, std::string_view expected_state);

struct WaitOptions {
    std::chrono::seconds timeout{300};
    bool read_stdin = false;  // paste-back
    bool indicator = false;   // a spinner on stderr while waiting
};

class LoopbackListener {
public:
    // Errors: internal when the port cannot be bound.
    [[nodiscard]] static Result<LoopbackListener> bind(std::uint16_t port);
    LoopbackListener(LoopbackListener&&) noexcept;
    LoopbackListener& operator=(LoopbackListener&&) noexcept;
    ~LoopbackListener();

    [[nodiscard]] std::uint16_t port() const;
    [[nodiscard]] std::string redirect_uri() const;

    // A one-time URL ("http://127.0.0.1:P/start/<random>") that answers the
    // first request of our uid with a redirect to `authorization_url`, for
    // the browser's command line.
    [[nodiscard]] std::string launch(std::string authorization_url);

    // The first callback carrying `expected_state`. Errors: usage-free
    // `login_required` on timeout ("no answer from the browser within N s").
    [[nodiscard]] Result<Callback> wait(std::string_view expected_state, const WaitOptions& options);

private:
    struct Impl;
    explicit LoopbackListener(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
};

}  // namespace credctl::cli
