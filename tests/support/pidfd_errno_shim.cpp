// An LD_PRELOAD library for end-to-end tests: getsockopt(SO_PEERPIDFD) fails
// with the errno named by CREDCTL_TEST_PEERPIDFD_ERRNO (EINVAL, ESRCH,
// ENODATA or ENOPROTOOPT), as a kernel answers for a peer that has exited
// (Linux 6.5 to 6.17: EINVAL) or a kernel without the option (ENOPROTOOPT).
// Every other call, and every call when the variable is unset or names
// nothing known, goes to the C library's getsockopt.
//
// Thread-safety: stateless apart from the symbol looked up once.
#include <dlfcn.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#ifndef SO_PEERPIDFD
#define SO_PEERPIDFD 77  // Linux 6.5
#endif

namespace {

using GetsockoptFn = int (*)(int, int, int, void*, socklen_t*);

int forced_errno() {
    const char* name = std::getenv("CREDCTL_TEST_PEERPIDFD_ERRNO");
    if (name == nullptr) return 0;
    struct Named {
        const char* name;
        int value;
    };
    static constexpr Named k_known[] = {
        {"EINVAL", EINVAL}, {"ESRCH", ESRCH}, {"ENODATA", ENODATA}, {"ENOPROTOOPT", ENOPROTOOPT}};
    for (const auto& known : k_known) {
        if (std::strcmp(name, known.name) == 0) return known.value;
    }
    return 0;
}

}  // namespace

extern "C" int getsockopt(int fd, int level, int name, void* value, socklen_t* len) {
    static const auto real = reinterpret_cast<GetsockoptFn>(::dlsym(RTLD_NEXT, "getsockopt"));
    if (level == SOL_SOCKET && name == SO_PEERPIDFD) {
        if (const int err = forced_errno(); err != 0) {
            errno = err;
            return -1;
        }
    }
    return real(fd, level, name, value, len);
}
