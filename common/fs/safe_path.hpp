// Whether a path can be redirected by another uid: the rule of OpenSSH's
// safe_path() (StrictModes). Whoever can write a directory on the way to a
// path can rename a name in it and put a directory, a socket or a symlink of
// their own in its place, between one call by path and the next (a check
// and an open, a bind(2) and a chmod(2)). credd checks its socket's and its
// audit log's directories with it before it uses them (docs/design.md
// "Directories credd trusts").
//
// Only root and one trusted uid (credd's euid) may change a directory that
// holds a name on the way. A directory writable by group or others (mode
// 022) passes only when it is sticky and the name below it is owned by root
// or the trusted uid: then no one else can rename or remove that name
// (/tmp/credd-1000, $XDG_RUNTIME_DIR under /run/user). Access control lists
// are not read.
//
// Thread-safety: reentrant; the answer holds for as long as root and the
// trusted uid leave the directories as they are.
#pragma once

#include "common/error/error.hpp"

#include <sys/types.h>

#include <string>

namespace credctl::fs {

// Checks every directory that holds a name on the way to `path` (an
// absolute path), from "/" down to the directory that holds its last
// component, following symlinks; a symlink is a name like any other, and
// the directories on the way to its target are checked in turn. `path`
// itself, and names below a component that does not exist, are not checked:
// their creator's rule decides. Returns `path` with its symlinks resolved.
// Errors (Errc::internal): `path` is not absolute; a directory on the way
// fails the rule above; a component cannot be inspected or is not a
// directory; more than 40 symlinks. The message names the directory, its
// owner and mode, and what was required of it.
[[nodiscard]] Result<std::string> check_ancestors(const std::string& path, uid_t trusted);

// check_ancestors(dir), then that `dir` (symlinks followed) is a directory
// owned by root or `trusted` and writable by no one else, sticky or not: no
// other uid can add, remove or rename a name in it. Same errors, or `dir`
// fails this stricter rule.
[[nodiscard]] Result<void> check_private_dir(const std::string& dir, uid_t trusted);

}  // namespace credctl::fs
