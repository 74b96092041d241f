// An LD_PRELOAD library for end-to-end tests: getaddrinfo(3) of the host name
// CREDCTL_TEST_SLOW_DNS_NAME first sleeps for the milliseconds
// CREDCTL_TEST_SLOW_DNS_MS names, as a resolver that does not answer makes
// it wait, then does what the C library does. Other names are not delayed.
//
// Thread-safety: stateless apart from the symbol looked up once.
#include <dlfcn.h>
#include <netdb.h>

#include <cstdlib>
#include <cstring>
#include <ctime>

namespace {

using LookupFn = int (*)(const char*, const char*, const addrinfo*, addrinfo**);

void delay(const char* node) {
    const char* name = std::getenv("CREDCTL_TEST_SLOW_DNS_NAME");
    const char* text = std::getenv("CREDCTL_TEST_SLOW_DNS_MS");
    if (node == nullptr || name == nullptr || text == nullptr || std::strcmp(node, name) != 0) return;
    const long ms = std::strtol(text, nullptr, 10);
    if (ms <= 0) return;
    timespec left{ms / 1000, (ms % 1000) * 1000000};
    while (::nanosleep(&left, &left) != 0) {
    }
}

}  // namespace

extern "C" int getaddrinfo(const char* node, const char* service, const addrinfo* hints, addrinfo** res) {
    static const auto real = reinterpret_cast<LookupFn>(::dlsym(RTLD_NEXT, "getaddrinfo"));
    delay(node);
    return real(node, service, hints, res);
}
