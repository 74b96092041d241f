#include "cli/entry.hpp"

#include "common/crypto/crypto.hpp"
#include "common/text/printable.hpp"

#include <sys/resource.h>
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

namespace credctl::cli {

void harden_process() {
    const struct rlimit no_core { 0, 0 };
    ::setrlimit(RLIMIT_CORE, &no_core);
}

void prepare_process() {
    harden_process();
    if (auto r = crypto::init(); !r) std::exit(finish(r));
}

std::string error_line(std::string_view message) {
    std::string out = "credctl: ";
    for (std::size_t at = 0; at <= message.size();) {
        const auto end = std::min(message.find('\n', at), message.size());
        if (at > 0) out += "\n  ";
        text::append_printable(out, message.substr(at, end - at));
        at = end + 1;
    }
    return out + "\n";
}

// stdio: credctl's plain lines run before the C++ streams exist (front.cpp).
int finish(const Result<void>& r) {
    if (r) return 0;
    std::fputs(error_line(r.error().message).c_str(), stderr);
    return exit_code(r.error().code);
}

}  // namespace credctl::cli
