// Where credctl's two helpers are. credctl-login: the program `credctl login`
// runs (login_handoff.cpp) and so the executable credd sees for every login,
// which a grant of credentials:login narrowed by `exe` must name
// (docs/policy.md). The commands module: what credctl loads for every line
// but the plain token and exec lines (cli/front.cpp).
//
// Both are found relative to this program's own file (/proc/self/exe),
// never through $PATH, the environment or the working directory, which
// another user may own: CREDCTL_LOGIN_HELPER and CREDCTL_COMMANDS_MODULE
// are their paths relative to credctl's folder, the same in the build tree
// as installed (cli/CMakeLists.txt). In credctl-login itself, the helper is
// that program's own file.
//
// credctl-login is looked for by `credctl login` (to run it), `credctl
// policy check --permission login` and `credctl whoami` (to name it); the
// module by credctl's main. Thread-safety: reentrant.
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

// The commands module's path as it is loaded: credctl's folder, then the
// relative path. Errors: internal as above.
[[nodiscard]] Result<std::string> commands_module_path();

}  // namespace credctl::cli
