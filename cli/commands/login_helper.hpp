// Where credctl-login is: the program `credctl login` runs (login_handoff.cpp)
// and so the executable credd sees for every login, which a grant of
// credentials:login narrowed by `exe` must name (docs/policy.md).
//
// It is found relative to this program's own file (/proc/self/exe), never
// through $PATH, the environment or the working directory, which another
// user may own: CREDCTL_LOGIN_HELPER is its path relative to credctl's
// folder, the same in the build tree as installed (cli/CMakeLists.txt).
// In credctl-login itself, it is that program's own file.
//
// Used by `credctl login` (to run it), `credctl policy check --permission
// login` and `credctl whoami` (to name it). Thread-safety: reentrant.
#pragma once

#include "common/error/error.hpp"

#include <string>

namespace credctl::cli {

// The path as it is run: credctl's folder, then the relative path.
// Errors: internal when /proc/self/exe cannot be read (no /proc) or is too
// long to be read whole.
[[nodiscard]] Result<std::string> login_helper_path();

// The same with every symbolic link and `..` resolved, as credd reports
// executables. Errors: internal as above, or not_found when it is missing.
[[nodiscard]] Result<std::string> login_helper_exe();

}  // namespace credctl::cli
