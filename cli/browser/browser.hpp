// Opening the login URL in the user's browser: $BROWSER when set (as a
// command line the URL is appended to), else xdg-open. Every user can read
// a process's argv in /proc: the URL given here must carry nothing of the
// login (login passes LoopbackListener::launch(), never the authorization
// URL with its state, PKCE challenge and nonce).
// Thread-safety: forks; call from the main thread.
#pragma once

#include "common/error/error.hpp"

#include <string>

namespace credctl::cli {

// Starts the browser without waiting for it. Errors: internal when nothing
// could be started; the caller then relies on the printed URL.
[[nodiscard]] Result<void> open_browser(const std::string& url);

// Reaps the browser processes that have exited, without waiting for any:
// one still running is left alone. Call before returning.
void reap_browsers();

}  // namespace credctl::cli
