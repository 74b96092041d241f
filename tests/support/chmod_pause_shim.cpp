// An LD_PRELOAD library for end-to-end tests: chmod(2) of a path that ends
// in ".sock" first creates the file CREDCTL_TEST_CHMOD_PAUSED names, then
// waits until the file CREDCTL_TEST_CHMOD_RESUME names exists (for at most
// 30 s), then does what the C library does. A test thus holds a daemon
// between its bind(2) and a chmod of the socket by path, and changes the
// directories meanwhile, as a racing uid would; the PAUSED file also tells
// whether such a chmod was made at all. Other paths are not delayed.
//
// Thread-safety: stateless apart from the symbol looked up once.
#include <dlfcn.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <ctime>

namespace {

using ChmodFn = int (*)(const char*, mode_t);

bool ends_with_sock(const char* path) {
    const std::size_t n = std::strlen(path);
    return n >= 5 && std::strcmp(path + n - 5, ".sock") == 0;
}

void pause_for_test(const char* path) {
    const char* paused = std::getenv("CREDCTL_TEST_CHMOD_PAUSED");
    const char* resume = std::getenv("CREDCTL_TEST_CHMOD_RESUME");
    if (path == nullptr || paused == nullptr || resume == nullptr || !ends_with_sock(path)) return;
    const int fd = ::open(paused, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
    if (fd >= 0) ::close(fd);
    for (int i = 0; i < 3000 && ::access(resume, F_OK) != 0; ++i) {
        timespec step{0, 10 * 1000 * 1000};
        ::nanosleep(&step, nullptr);
    }
}

}  // namespace

extern "C" int chmod(const char* path, mode_t mode) {
    static const auto real = reinterpret_cast<ChmodFn>(::dlsym(RTLD_NEXT, "chmod"));
    pause_for_test(path);
    return real(path, mode);
}
