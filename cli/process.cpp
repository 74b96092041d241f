#include "cli/entry.hpp"

#include "common/crypto/crypto.hpp"

#include <sys/resource.h>
#include <cstdio>
#include <cstdlib>

namespace credctl::cli {

void harden_process() {
    const struct rlimit no_core { 0, 0 };
    ::setrlimit(RLIMIT_CORE, &no_core);
}

void prepare_process() {
    harden_process();
    if (auto r = crypto::init(); !r) std::exit(finish(r));
}

// stdio: credctl's plain lines run before the C++ streams exist (front.cpp).
int finish(const Result<void>& r) {
    if (r) return 0;
    std::fprintf(stderr, "credctl: %s\n", r.error().message.c_str());
    return exit_code(r.error().code);
}

}  // namespace credctl::cli
