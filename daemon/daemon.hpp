// credd's top level: hardening, then config, key, store and server in order.
// Used only by daemon/main.cpp and tests that start a daemon in-process.
#pragma once

#include "common/error/error.hpp"
#include "daemon/config/daemon_mode.hpp"

#include <string>

namespace credctl::daemon {

struct Options {
    std::string config_file;  // empty: the mode's default file (daemon_mode.hpp)
    bool verbose = false;
    Mode mode = Mode::user;
    int listen_fd = -1;  // socket activation (daemon/systemd/activation.hpp)
};

// Not dumpable, no core files, umask 077, inherited descriptors closed except
// the `keep_fds` socket-activated ones from fd 3 on.
[[nodiscard]] Result<void> harden_process(int keep_fds = 0);

// Loads the config, the master key and the store, then serves until SIGTERM.
[[nodiscard]] Result<void> run(const Options& options);

}  // namespace credctl::daemon
