// The systemd system unit of a process, from the text of /proc/<pid>/cgroup.
//
// The unit is found the way systemd finds it (cg_path_get_unit in systemd's
// cgroup-util): leading slice components are skipped, and the first
// component that is not a slice names the unit that owns the process.
// Everything below that component belongs to the unit and says nothing
// more: a unit with `Delegate=` names its sub-cgroups at will, and so does
// every logged-in user inside the `user@UID.service` subtree that systemd
// delegates to them. So `/system.slice/x.service/worker` is `x.service`,
// and `/user.slice/user-1000.slice/user@1000.service/app.slice/y.service`
// is `user@1000.service` (the user's manager, a system unit), never
// `y.service`: a user unit is not a system unit and cannot be returned here.
// Only root can create the top-level components, so a caller cannot choose
// its system unit.
//
// On the unified hierarchy the path is on the `0::` line; on hybrid systems
// systemd keeps its own `name=systemd` hierarchy, which is used when the
// unified path names no unit. Paths are relative to the reader's cgroup
// namespace, so a caller's own cgroup namespace does not change them.
//
// Thread-safety: pure functions.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace credctl::peer {

// "nightly-sync.service" from the file's text, or std::nullopt when no line
// places the process in a unit (the root cgroup, a slice only, a path that
// does not follow systemd's layout, or an unreadable file).
[[nodiscard]] std::optional<std::string> unit_from_cgroup(std::string_view proc_cgroup);

// The unit that owns a process in the cgroup at `path` (one hierarchy's
// path, e.g. "/system.slice/x.service/worker"), by systemd's rule above.
[[nodiscard]] std::optional<std::string> unit_from_cgroup_path(std::string_view path);

// Whether `name` is a unit name systemd accepts, of a type that owns
// processes (".service", ".scope", ".socket"): the names the functions above
// can return. For checking `systemd_unit` selectors when the policy loads.
[[nodiscard]] bool is_process_unit_name(std::string_view name);

}  // namespace credctl::peer
