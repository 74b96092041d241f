#include "common/net/loopback.hpp"

#include <arpa/inet.h>

#include <string>

namespace credctl::net {

bool is_loopback_host(std::string_view host) {
    if (host == "localhost" || host == "::1") return true;
    // An IPv4 literal in 127.0.0.0/8, not a name that starts like one
    // ("127.example.net" is resolved by DNS, to anywhere).
    if (host.find('\0') != std::string_view::npos) return false;
    in_addr a{};
    return ::inet_pton(AF_INET, std::string(host).c_str(), &a) == 1 && (ntohl(a.s_addr) >> 24) == 127;
}

}  // namespace credctl::net
