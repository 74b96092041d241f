// Which credd socket credctl talks to, and whom it trusts to be credd.
//
// Discovery order (credctl(1) DAEMON DISCOVERY): --socket, $CREDD_SOCKET,
// the client config's `socket`, then the per-user socket if one exists, then
// the system socket /run/credd/credd.sock if one exists, else the per-user
// path (so that the "not running" message names it).
//
// A socket is only a path: another local user may have bound it first. Before
// credctl sends a secret (a refresh token after login) it checks the peer's
// uid (SO_PEERCRED) against the users a credd may run as: root, the caller
// itself, and the system user `credd`.
//
// Used by cli/commands and DaemonClient. Thread-safety: reentrant.
#pragma once

#include "common/error/error.hpp"

#include <sys/types.h>

#include <string>

namespace credctl::cli {

inline constexpr const char* k_system_socket = "/run/credd/credd.sock";
inline constexpr const char* k_daemon_user = "credd";

struct DaemonLocation {
    std::string socket;
    std::string origin;  // "--socket", "CREDD_SOCKET", "client config", "per-user", "system"
};

struct LocateInputs {
    std::string socket_option;  // --socket, may be empty
    std::string config_socket;  // client config's `socket`, may be empty
};

[[nodiscard]] DaemonLocation locate_daemon(const LocateInputs& in);

// What to do when no daemon answers: the per-user and system ways to start
// one, and how to point credctl at another.
[[nodiscard]] std::string how_to_start_credd();

// Ok when the peer of the connected socket `fd` runs as root, as the caller,
// or as the `credd` user. Errors: daemon_unreachable naming the socket and
// the peer's uid.
[[nodiscard]] Result<void> check_daemon_peer(int fd, const std::string& socket);

}  // namespace credctl::cli
