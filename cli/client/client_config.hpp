// credctl's own config file (credctl.toml(5), "Client keys"): the daemon
// socket to use and whether to start a per-user credd when none answers.
// The file belongs to the user, but it is still read as untrusted text:
// unknown keys and values of the wrong type are errors naming file, line and
// key.
//
// Used by the commands' setup (cli/commands/commands.cpp). Thread-safety:
// reentrant.
#pragma once

#include "common/error/error.hpp"

#include <string>

namespace credctl::cli {

struct ClientConfig {
    std::string socket;  // empty: locate_daemon() chooses
    bool autostart = false;
};

// Reads the TOML file at `path`. Errors: internal naming the file, the line,
// the key and the bad value (a file that is not TOML, an unknown key, a
// socket that is not an absolute path, an autostart that is not a boolean).
[[nodiscard]] Result<ClientConfig> read_client_config(const std::string& path);

}  // namespace credctl::cli
