// credctl: the command-line client of credd.
//
// credctl is started once per token (git, kubectl, scripts in loops), so
// the program itself holds only what a plain `credctl token` or `credctl
// exec` line needs: the quick option readers, the client of credd and the
// token's output formats (cli/commands/token_options.hpp). Every other line
// (CLI11's parser, --help, --version, every other command) is the commands
// module's, loaded with dlopen(3) from beside credctl-login
// (commands_module.cpp, cli/CMakeLists.txt). A start then loads,
// relocates and pages in a third of what one program with every command
// did (docs/benchmarks.md, "credctl start-up"). The executable credd
// sees is credctl's either way.
//
// The plain lines are served before main: from a constructor that runs
// before the program's other static objects are constructed (glibc passes
// main's arguments to an executable's constructors). So the code these
// lines reach (cli/commands/token_quick.cpp and what it calls) must not use
// an object of namespace scope that is constructed at run time: not the
// C++ standard streams, stdio instead; and it must not include CLI11
// (scripts/check-layering.sh).
#include "cli/commands/login_helper.hpp"
#include "cli/commands/token_options.hpp"
#include "cli/entry.hpp"

#include <dlfcn.h>

#include <cstdlib>
#include <string>

namespace {

[[gnu::constructor(101)]] void serve_plain_line(int argc, char** argv, char** /*envp*/) {
    using namespace credctl;
    cli::harden_process();
    if (auto plain = cli::run_plain_line(argc, argv)) std::exit(cli::finish(*plain));
}

}  // namespace

int main(int argc, char** argv) {
    using namespace credctl;
    auto path = cli::commands_module_path();
    if (!path) return cli::finish(path.error());
    // RTLD_LOCAL: the module's symbols are its own (it exports only its entry).
    void* module = ::dlopen(path->c_str(), RTLD_NOW | RTLD_LOCAL);
    if (module == nullptr) {
        const char* why = ::dlerror();
        return cli::finish(make_error(Errc::internal, "cannot load " + *path + ", which runs every command but plain " +
                                                          "token and exec lines: " + (why != nullptr ? why : "")));
    }
    using Entry = int (*)(int, char**, const char*);
    auto* entry = reinterpret_cast<Entry>(::dlsym(module, "credctl_commands_main"));
    if (entry == nullptr) return cli::finish(make_error(Errc::internal, *path + " is not credctl's commands module"));
    return entry(argc, argv, CREDCTL_VERSION);
}
