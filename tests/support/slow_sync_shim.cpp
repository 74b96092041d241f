// An LD_PRELOAD library for end-to-end tests: fdatasync(2) and fsync(2)
// first sleep for the milliseconds CREDCTL_TEST_SYNC_DELAY_MS names, as a
// slow or busy disk makes them wait, then do what the C library does. Unset,
// zero or not a number: no delay. Before it sleeps, a delayed call creates
// the file CREDCTL_TEST_SYNC_MARK names, if any, so that a test can wait
// for a sync to be under way.
//
// Thread-safety: stateless apart from the symbols looked up once.
#include <dlfcn.h>
#include <fcntl.h>
#include <unistd.h>

#include <cstdlib>
#include <ctime>

namespace {

using SyncFn = int (*)(int);

void delay() {
    const char* text = std::getenv("CREDCTL_TEST_SYNC_DELAY_MS");
    if (text == nullptr) return;
    const long ms = std::strtol(text, nullptr, 10);
    if (ms <= 0) return;
    if (const char* mark = std::getenv("CREDCTL_TEST_SYNC_MARK"); mark != nullptr) {
        const int fd = ::open(mark, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
        if (fd >= 0) ::close(fd);
    }
    timespec left{ms / 1000, (ms % 1000) * 1000000};
    while (::nanosleep(&left, &left) != 0) {
    }
}

}  // namespace

extern "C" int fdatasync(int fd) {
    static const auto real = reinterpret_cast<SyncFn>(::dlsym(RTLD_NEXT, "fdatasync"));
    delay();
    return real(fd);
}

extern "C" int fsync(int fd) {
    static const auto real = reinterpret_cast<SyncFn>(::dlsym(RTLD_NEXT, "fsync"));
    delay();
    return real(fd);
}
