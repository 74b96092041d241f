// credd's top level: hardening, then config, key, store and server in order.
// Used only by daemon/main.cpp and tests that start a daemon in-process.
#pragma once

#include "common/error/error.hpp"

#include <string>

namespace credctl::daemon {

struct Options {
    std::string config_file;  // empty: per-user defaults
    bool verbose = false;
};

// Not dumpable, no core files, umask 077, inherited descriptors closed.
[[nodiscard]] Result<void> harden_process();

// Loads the config, the master key and the store, then serves until SIGTERM.
[[nodiscard]] Result<void> run(const Options& options);

}  // namespace credctl::daemon
