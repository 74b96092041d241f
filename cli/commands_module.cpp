// credctl's commands module: every command line but the plain token and exec
// lines, which credctl serves itself (front.cpp). Loaded by credctl with
// dlopen(3); its one exported symbol is the entry below, and nothing of C++
// crosses it: the module holds its own copies of the C++ runtime, Boost,
// toml++ and libsodium when credctl is linked statically (cli/CMakeLists.txt).
#include "cli/entry.hpp"

#include <cstdio>
#include <cstring>

// `version`: the credctl that loads the module; a module of another
// version (a half-done upgrade) refuses to run for it.
extern "C" [[gnu::visibility("default")]] int credctl_commands_main(int argc, char** argv, const char* version) {
    using namespace credctl;
    if (version == nullptr || std::strcmp(version, CREDCTL_VERSION) != 0) {
        std::fprintf(stderr, "credctl: credctl %s and its commands module %s differ: reinstall credctl\n",
                     version != nullptr ? version : "(unknown)", CREDCTL_VERSION);
        return exit_code(Errc::internal);
    }
    cli::prepare_process();
    return cli::run_command_line(argc, argv);
}
