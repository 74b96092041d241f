// Which credd socket credctl talks to, and whom it trusts to be credd.
//
// Discovery order (credctl(1) DAEMON DISCOVERY): --socket, $CREDD_SOCKET,
// the client config's `socket`, then the per-user socket if a daemon answers
// there, then the system socket /run/credd/credd.sock if one exists, else the
// per-user path (so that the "not running" message names it).
//
// Without $XDG_RUNTIME_DIR the per-user socket lives in /tmp/credd-UID, a
// name any local user can take first. That directory is used only when it is
// owned by the caller, mode 0700 and not a symlink, and the socket inside is
// not a symlink; otherwise it is skipped with a warning and the system
// socket is named instead. A per-user socket where nothing answers (a stale
// file, a stopped daemon) falls back to the system socket as well.
//
// A socket is only a path: whatever the location, every connection credctl
// makes is checked (check_daemon_peer) before anything is sent or believed.
//
// Used by cli/commands and DaemonClient. Thread-safety: reentrant.
#pragma once

#include "common/error/error.hpp"

#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

namespace credctl::cli {

inline constexpr const char* k_system_socket = "/run/credd/credd.sock";
inline constexpr const char* k_daemon_user = "credd";

struct DaemonLocation {
    std::string socket;
    std::string origin;                 // "--socket", "CREDD_SOCKET", "client config", "per-user", "system"
    std::vector<std::string> warnings;  // locations skipped as unsafe, for stderr
};

struct LocateInputs {
    std::string socket_option;  // --socket, may be empty
    std::string config_socket;  // client config's `socket`, may be empty
};

[[nodiscard]] DaemonLocation locate_daemon(const LocateInputs& in);

// Why the per-user socket `socket` in a shared directory such as /tmp must
// not be used by `uid`, or std::nullopt when it may: its directory must be a
// real directory (not a symlink) owned by `uid` with mode 0700, and `socket`,
// when it exists, must not be a symlink. A directory that does not exist yet
// is fine (a per-user credd creates it).
[[nodiscard]] std::optional<std::string> shared_dir_socket_problem(const std::string& socket, uid_t uid);

// What to do when no daemon answers: the per-user and system ways to start
// one, and how to point credctl at another.
[[nodiscard]] std::string how_to_start_credd();

// Ok when the peer of the connected socket `fd` runs as root, as the caller,
// or as the `credd` user. Errors: daemon_unreachable naming the socket and
// the peer's uid.
[[nodiscard]] Result<void> check_daemon_peer(int fd, const std::string& socket);

}  // namespace credctl::cli
