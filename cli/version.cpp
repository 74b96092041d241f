#include "cli/commands/command.hpp"

namespace credctl::cli {

std::string version_text() {
#ifdef CREDCTL_LOGIN_LINKAGE
    return "credctl " CREDCTL_VERSION " (linked: " CREDCTL_LINKAGE "; commands " CREDCTL_COMMANDS_MODULE
           ", linked: " CREDCTL_COMMANDS_LINKAGE "; login runs " CREDCTL_LOGIN_HELPER ", linked: " CREDCTL_LOGIN_LINKAGE
           ")";
#else
    return "credctl " CREDCTL_VERSION " (linked: " CREDCTL_LINKAGE ")";
#endif
}

}  // namespace credctl::cli
