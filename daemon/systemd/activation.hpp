// Socket activation (sd_listen_fds(3)) without libsystemd: when systemd (or
// systemd-socket-activate, or a test) starts credd with LISTEN_PID = our pid
// and LISTEN_FDS = 1, fd 3 is an already listening socket that credd serves
// instead of binding its own. The variables are removed so that nothing
// credd starts inherits them.
//
// Called by credd's main before harden_process() closes inherited fds.
// Thread-safety: call once at start, before any thread exists.
#pragma once

#include "common/error/error.hpp"

#include <optional>

namespace credctl::systemd {

inline constexpr int k_listen_fds_start = 3;  // SD_LISTEN_FDS_START

// std::nullopt when not socket-activated. Errors: the passed fds are not
// exactly one listening AF_UNIX stream socket.
[[nodiscard]] Result<std::optional<int>> take_listen_fd();

}  // namespace credctl::systemd
