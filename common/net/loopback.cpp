#include "common/net/loopback.hpp"

namespace credctl::net {

bool is_loopback_host(std::string_view host) {
    return host == "localhost" || host == "::1" || host.rfind("127.", 0) == 0;
}

}  // namespace credctl::net
