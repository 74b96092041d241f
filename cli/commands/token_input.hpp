// What `credctl token` reads from the program that runs it: git's
// credential request on standard input (gitcredentials(7), with
// `-o git-credential`) and kubectl's KUBERNETES_EXEC_INFO (client-go
// credential plugins, with `-o exec-credential`). Both come from whoever
// started credctl and are read as untrusted text.
//
// Used by cli/commands/token.cpp. Thread-safety: pure functions (the
// stream is the caller's).
#pragma once

#include <cstdio>
#include <string>

namespace credctl::cli {

// What credctl takes of git's credential request: the last value of each
// of its keys ("" when absent).
struct GitRequest {
    std::string protocol;
    std::string host;  // with ":port" when git has one
    std::string username;
};

// Reads "key=value" lines up to a blank line or the end of `in`. A value
// holding a control character (NUL, CR, ...) is ignored: git never sends
// one, and echoed back in the answer it would be a line git's protocol
// cannot hold. A C stream, not std::cin: `credctl token` may run before the
// C++ streams exist (cli/front.cpp).
[[nodiscard]] GitRequest read_git_request(std::FILE* in);

// Whether a token may answer `r`: over https, or plain http to this machine
// (as for providers, common/net/loopback.hpp). Not for another protocol (git
// asks helpers for a certificate's passphrase as "cert") and never over
// plain http to another host, where git would send it in the clear: a
// helper configured for every host is asked for each of them. A request
// without a protocol is not git's (a person typing) and is answered.
[[nodiscard]] bool git_request_may_have_token(const GitRequest& r);

// The ExecCredential apiVersion to answer in: the one KUBERNETES_EXEC_INFO
// asks for when it is one credctl writes ("client.authentication.k8s.io/v1"
// or ".../v1beta1"), else v1. `info` may be null (variable not set) or not
// JSON.
[[nodiscard]] std::string exec_api_version(const char* info);

}  // namespace credctl::cli
