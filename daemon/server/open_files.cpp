#include "daemon/server/open_files.hpp"

#include "common/log/log.hpp"
#include "daemon/server/closer.hpp"

#include <sys/resource.h>

#include <algorithm>
#include <string>

namespace credctl::server {
namespace {

// Room for the store, the audit log, the listening socket and the
// connections to providers.
constexpr std::uint64_t k_own_files = 64;

}  // namespace

std::uint64_t raise_open_files(std::size_t max_connections) {
    rlimit files{};
    if (::getrlimit(RLIMIT_NOFILE, &files) != 0) return 1024;
    if (files.rlim_cur < files.rlim_max) {
        const rlim_t before = files.rlim_cur;
        files.rlim_cur = files.rlim_max;
        if (::setrlimit(RLIMIT_NOFILE, &files) != 0) files.rlim_cur = before;
    }
    if (files.rlim_cur != RLIM_INFINITY && files.rlim_cur < max_connections + k_own_files) {
        log::warning("the open-file limit " + std::to_string(files.rlim_cur) + " is below max_connections (" +
                     std::to_string(max_connections) +
                     ") plus credd's own files: connections beyond it wait in the "
                     "listen queue until others end");
    }
    return files.rlim_cur == RLIM_INFINITY ? UINT64_MAX : files.rlim_cur;
}

std::size_t waiting_room(std::uint64_t open_files, std::size_t max_connections) {
    // A served connection may also hold its caller's executable open
    // (peer::PeerIdentity::exe_file): two descriptors each.
    const std::uint64_t reserved = 2 * std::uint64_t{max_connections} + k_own_files + closer_bound(open_files);
    return open_files > reserved ? static_cast<std::size_t>(std::min<std::uint64_t>(open_files - reserved, SIZE_MAX))
                                 : 0;
}

}  // namespace credctl::server
