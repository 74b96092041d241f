// Small facts about Unix stream sockets that both programs need.
// Thread-safety: reentrant.
#pragma once

#include <string>

namespace credctl::net {

// True when something accepts connections on the socket at `path` now.
// A path too long for sockaddr_un, or no listener, gives false.
[[nodiscard]] bool unix_socket_answers(const std::string& path);

}  // namespace credctl::net
