// The store's part of `credctl status` as text (credctl(1) status,
// docs/fleet.md "When etcd is unavailable"): the backend, whether the store
// reads, and for etcd a table of its members, whether each answers and
// serves reads, and what it said or why it did not answer.
//
// Used by cli/commands/status.cpp. Thread-safety: pure functions (the
// stream is the caller's).
#pragma once

#include "common/wire/wire.hpp"

#include <ostream>
#include <string>

namespace credctl::cli {

// Lines "store:", "backend:", "store state:" and, when the status lists
// endpoints, "etcd members:" with one indented row per member. Fields a
// daemon older than this one leaves out are not printed.
void print_store(std::ostream& out, const wire::Status& s);

// A "note:" line, or two, when credd's version is not credctl's, saying
// which is older and what to do; empty when they are the same. An older
// credd is most often a per-user one still running the binary an upgrade
// replaced (the package restarts only the system service); an older
// credctl, one that came first in PATH or in a container.
[[nodiscard]] std::string version_note(const std::string& credctl_version, const std::string& credd_version);

}  // namespace credctl::cli
