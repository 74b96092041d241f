// Opening the login URL in the user's browser: $BROWSER when set (as a
// command line the URL is appended to), else xdg-open. The URL carries no
// secret (PKCE sends only the challenge), so passing it in argv is safe.
// Thread-safety: forks; call from the main thread.
#pragma once

#include "common/error/error.hpp"

#include <string>

namespace credctl::cli {

// Starts the browser without waiting for it. Errors: internal when nothing
// could be started; the caller then relies on the printed URL.
[[nodiscard]] Result<void> open_browser(const std::string& url);

// Reaps browser processes that have exited (call before returning).
void reap_browsers();

}  // namespace credctl::cli
