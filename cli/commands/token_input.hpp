// What `credctl token` reads from the program that runs it: git's
// credential request on standard input (gitcredentials(7), with
// `-o git-credential`) and kubectl's KUBERNETES_EXEC_INFO (client-go
// credential plugins, with `-o exec-credential`). Both come from whoever
// started credctl and are read as untrusted text.
//
// Used by cli/commands/token.cpp. Thread-safety: pure functions (the
// stream is the caller's).
#pragma once

#include <sys/types.h>

#include <cstdio>
#include <string>
#include <string_view>

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
// (as for providers, common/net/loopback.hpp; and then only to a server of
// the caller's own, loopback_server_is_users()). Not for another protocol (git
// asks helpers for a certificate's passphrase as "cert") and never over
// plain http to another host, where git would send it in the clear: a
// helper configured for every host is asked for each of them. A request
// without a protocol is not git's (a person typing) and is answered.
[[nodiscard]] bool git_request_may_have_token(const GitRequest& r);

// Whether plain http to this machine at `r`'s port (80 unless the host
// names one) reaches a server of `uid`'s own: every socket listening there,
// on a loopback or every address, in `tcp` and `tcp6` (the text of
// /proc/net/tcp and tcp6), belongs to `uid`, and there is one. Any local
// user may listen on a loopback port, so git's plain-http request to one
// may be another user's server asking for the token (a dev server stopped,
// a port taken first); over https the server's certificate says who it is.
[[nodiscard]] bool loopback_server_is_users(const GitRequest& r, uid_t uid, std::string_view tcp,
                                            std::string_view tcp6);
// The same, reading /proc/net/tcp and tcp6.
[[nodiscard]] bool loopback_server_is_users(const GitRequest& r, uid_t uid);

// The ExecCredential apiVersion to answer in: the one KUBERNETES_EXEC_INFO
// asks for when it is one credctl writes ("client.authentication.k8s.io/v1"
// or ".../v1beta1"), else v1. `info` may be null (variable not set) or not
// JSON.
[[nodiscard]] std::string exec_api_version(const char* info);

}  // namespace credctl::cli
