// The floor under `credctl token PROVIDER` (docs/benchmarks.md, "credctl
// start-up"): the steps credctl must take for a cached token, and nothing
// else, in one function over libc, libsodium and credctl's guarded pages
// (common/secret/guarded_pages.cpp), linked as credctl is. It is not a
// client: no options, no errors beyond an exit status, no JSON escapes, no
// output formats. bench/token_startup.sh runs it against /bin/true next to
// credctl, so the ratio credctl cannot go below on the machine at hand is
// printed with credctl's own.
//
//     credctl_bench_token_floor PROVIDER      (socket from $CREDD_SOCKET)
//
// The steps, as credctl's: no core dumps; a look for the client config;
// connect, and the daemon's uid from SO_PEERCRED; one GET of
// /v1/users/~/credentials/PROVIDER/token (the caller, as credd names it: no
// name lookup of its own); the token copied into guarded pages (as
// SecretBytes) and the answer's bytes zeroed; the token written to standard
// output. Like credctl on this line, it leaves libsodium unstarted.
#include "common/secret/guarded_pages.hpp"

#include <sodium.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>

int main(int argc, char** argv) {
    if (argc != 2) return 2;
    const rlimit no_core{0, 0};
    ::setrlimit(RLIMIT_CORE, &no_core);
    char path[4096];
    const char* home = std::getenv("HOME");
    std::snprintf(path, sizeof path, "%s/.config/credctl/credctl.toml", home != nullptr ? home : "");
    if (::access(path, F_OK) == 0) return 4;  // a floor without a client config
    const char* socket_path = std::getenv("CREDD_SOCKET");
    if (socket_path == nullptr || std::strlen(socket_path) >= sizeof(sockaddr_un::sun_path)) return 5;
    const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strcpy(addr.sun_path, socket_path);
    if (::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0) return 6;
    ucred peer{};
    socklen_t peer_len = sizeof peer;
    if (::getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &peer, &peer_len) != 0) return 6;
    if (peer.uid != 0 && peer.uid != ::getuid()) return 6;
    char request[1024];
    const int request_len = std::snprintf(request, sizeof request,
                                          "GET /v1/users/~/credentials/%s/token HTTP/1.1\r\nHost: credd\r\n"
                                          "Connection: close\r\n\r\n",
                                          argv[1]);
    if (request_len <= 0 || ::write(fd, request, static_cast<size_t>(request_len)) != request_len) return 7;
    // Read up to the end of the body its Content-Length gives, as credctl
    // does (cli/client/reply_parse.hpp): not to the end of the connection,
    // which comes when credd's closer gets to it.
    static char answer[65536];
    size_t got = 0;
    size_t want = sizeof answer - 1;
    while (got < want) {
        const ssize_t n = ::read(fd, answer + got, sizeof answer - 1 - got);
        if (n <= 0) break;
        got += static_cast<size_t>(n);
        answer[got] = '\0';
        const char* head_end = std::strstr(answer, "\r\n\r\n");
        const char* length = std::strstr(answer, "Content-Length: ");
        if (head_end != nullptr && length != nullptr && length < head_end) {
            want = static_cast<size_t>(head_end + 4 - answer) + std::strtoul(length + 16, nullptr, 10);
        }
    }
    ::close(fd);
    answer[got] = '\0';
    const char* key = "\"access_token\":\"";
    const char* start = std::strncmp(answer, "HTTP/1.1 200 ", 13) == 0 ? std::strstr(answer, key) : nullptr;
    const char* end = start != nullptr ? std::strchr(start + std::strlen(key), '"') : nullptr;
    if (end == nullptr) return 8;
    start += std::strlen(key);
    const size_t len = static_cast<size_t>(end - start);
    auto* token = reinterpret_cast<char*>(credctl::secret::guarded_alloc(len + 1));
    if (token == nullptr) return 9;
    std::memcpy(token, start, len);
    token[len] = '\n';
    sodium_memzero(answer, got);
    const bool written = ::write(STDOUT_FILENO, token, len + 1) == static_cast<ssize_t>(len + 1);
    credctl::secret::guarded_free(reinterpret_cast<unsigned char*>(token), len + 1);
    return written ? 0 : 10;
}
