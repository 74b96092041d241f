// Which host names stay on this machine. Plain http is allowed only to these
// (SPEC §6): the provider config refuses other http URLs when loaded, and the
// HTTP client refuses them again when sending.
// Thread-safety: pure functions.
#pragma once

#include <string_view>

namespace credctl::net {

// True when `host` (a URL's host, without brackets) is an IPv4 literal in
// 127.0.0.0/8 (dotted quad), ::1 or "localhost"; never a name, which DNS
// could resolve anywhere, however it starts.
[[nodiscard]] bool is_loopback_host(std::string_view host);

}  // namespace credctl::net
