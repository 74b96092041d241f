// What `credctl token` reads from the program that runs it: git's
// credential request on standard input (gitcredentials(7), with
// `-o git-credential`) and kubectl's KUBERNETES_EXEC_INFO (client-go
// credential plugins, with `-o exec-credential`). Both come from whoever
// started credctl and are read as untrusted text.
//
// Used by cli/commands/token.cpp. Thread-safety: pure functions (the
// stream is the caller's).
#pragma once

#include <istream>
#include <string>

namespace credctl::cli {

// Reads "key=value" lines up to a blank line or the end of `in` and returns
// the value of the last `username=` line ("" when none). A value holding a
// control character (NUL, CR, ...) is ignored: git never sends one, and
// echoed back in the answer it would be a line git's protocol cannot hold.
[[nodiscard]] std::string read_git_username(std::istream& in);

// The ExecCredential apiVersion to answer in: the one KUBERNETES_EXEC_INFO
// asks for when it is one credctl writes ("client.authentication.k8s.io/v1"
// or ".../v1beta1"), else v1. `info` may be null (variable not set) or not
// JSON.
[[nodiscard]] std::string exec_api_version(const char* info);

}  // namespace credctl::cli
