// credctl-login: the program `credctl login` runs with the same command line
// (commands/login_handoff.cpp), the one part of credctl linked with OpenSSL.
#include "cli/entry.hpp"

int main(int argc, char** argv) {
    credctl::cli::prepare_process();
    return credctl::cli::run_command_line(argc, argv);
}
