// What each credctl program does first and last, and the command line as
// CLI11 reads it. credctl itself (front.cpp) serves the plain token and
// exec lines and loads the commands module (commands_module.cpp) for every
// other line; credctl-login (login_main.cpp) runs `credctl login`.
#pragma once

#include "common/error/error.hpp"

#include <string>
#include <string_view>

namespace credctl::cli {

// No core file: tokens pass through this process.
void harden_process();
// harden_process(), and libsodium started, in each copy of libsodium a
// program holds. Exits on failure. The plain token and exec lines (front.cpp)
// need no cryptography and skip libsodium's start: its CPU feature
// detection traps to the hypervisor on a virtual machine
// (common/secret/guarded_pages.hpp).
void prepare_process();

// An error on stderr and its exit status (credctl(1) EXIT STATUS); 0 on success.
// The error is written as error_line() writes it.
[[nodiscard]] int finish(const Result<void>& r);
// "credctl: " + `message` + "\n", escaped (common/text/printable.hpp): the
// message may quote a provider or credd. A message of several lines (the
// hint of an unreachable credd) keeps them, each after the first indented
// by two spaces, so that no line of it can pass for a line of its own
// (journald reads a "<N>" at the start of a line as its priority).
[[nodiscard]] std::string error_line(std::string_view message);

// Every command line, read by CLI11 (main.cpp); the exit status.
[[nodiscard]] int run_command_line(int argc, char** argv);

}  // namespace credctl::cli
