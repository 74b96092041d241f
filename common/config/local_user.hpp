// Facts about the local user that both programs must agree on: the login
// name of a uid (and back) and the per-user socket path (credd(8) FILES).
// Thread-safety: reentrant; reads the environment and the passwd database.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>

namespace credctl::config {

struct LocalUser {
    std::string name;
    gid_t gid = 0;  // primary group
};

// The passwd entry of `uid`, or std::nullopt.
[[nodiscard]] std::optional<LocalUser> local_user(uid_t uid);

// Login name of `uid` from the passwd database, or std::nullopt.
[[nodiscard]] std::optional<std::string> user_name(uid_t uid);

// The uid of login name `name` from the passwd database, or std::nullopt.
[[nodiscard]] std::optional<uid_t> user_uid(const std::string& name);

// $XDG_RUNTIME_DIR/credd/credd.sock, or /tmp/credd-UID/credd.sock without it.
[[nodiscard]] std::string default_user_socket();

// $XDG_STATE_HOME/credd, or ~/.local/state/credd.
[[nodiscard]] std::string default_user_state_dir();

}  // namespace credctl::config
