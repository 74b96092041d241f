// The systemd unit of a process, from the text of /proc/<pid>/cgroup.
//
// systemd places every unit's processes in a cgroup named after the unit
// (`/system.slice/nightly-sync.service`, `/user.slice/.../app.slice/x.scope`),
// and only root (or the unit's delegate) can move a process out of it, so the
// innermost unit-named component of the path identifies the unit. On the
// unified hierarchy the path is on the `0::` line; on hybrid systems systemd
// keeps its own `name=systemd` hierarchy, which is used when the unified path
// names no unit.
//
// Thread-safety: pure function.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace credctl::peer {

// "nightly-sync.service" from the file's text, or std::nullopt when no line
// names a unit (a process outside any unit, or an unreadable file).
[[nodiscard]] std::optional<std::string> unit_from_cgroup(std::string_view proc_cgroup);

}  // namespace credctl::peer
