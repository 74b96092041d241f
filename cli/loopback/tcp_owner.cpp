#include "cli/loopback/tcp_owner.hpp"

#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>
#include <vector>

namespace credctl::cli {
namespace {

// Columns of /proc/net/tcp after splitting on blanks: sl, local_address,
// rem_address, st, tx_queue:rx_queue, tr:tm->when, retrnsmt, uid, ...
constexpr std::size_t k_local_column = 1;
constexpr std::size_t k_remote_column = 2;
constexpr std::size_t k_uid_column = 7;

std::string hex32(std::uint32_t v) {
    char buf[9];
    std::snprintf(buf, sizeof buf, "%08X", static_cast<unsigned>(v));
    return buf;
}

std::string hex_port(std::uint16_t port) {
    char buf[5];
    std::snprintf(buf, sizeof buf, "%04X", static_cast<unsigned>(port));
    return buf;
}

std::string read_file(const char* path) {
    std::ifstream in(path);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

}  // namespace

// The kernel prints each 32-bit word of the address as a native integer
// (seq_printf "%08X" of __be32), so the bytes come out in host order.
std::string proc_net_tcp_endpoint(in_addr address, std::uint16_t port) {
    return hex32(address.s_addr) + ":" + hex_port(port);
}

std::string proc_net_tcp6_endpoint(in_addr address, std::uint16_t port) {
    in6_addr mapped{};
    mapped.s6_addr[10] = 0xff;
    mapped.s6_addr[11] = 0xff;
    static_assert(sizeof address.s_addr == 4);
    std::memcpy(&mapped.s6_addr[12], &address.s_addr, 4);
    std::string out;
    for (int word = 0; word < 4; ++word) {
        std::uint32_t v = 0;
        std::memcpy(&v, &mapped.s6_addr[word * 4], 4);
        out += hex32(v);
    }
    return out + ":" + hex_port(port);
}

std::optional<uid_t> find_tcp_owner(std::string_view table, std::string_view local, std::string_view remote) {
    std::istringstream lines{std::string(table)};
    for (std::string line; std::getline(lines, line);) {
        std::istringstream fields(line);
        std::vector<std::string> cols;
        for (std::string f; fields >> f && cols.size() <= k_uid_column;) cols.push_back(f);
        if (cols.size() <= k_uid_column) continue;
        if (cols[k_local_column] != local || cols[k_remote_column] != remote) continue;
        try {
            return static_cast<uid_t>(std::stoul(cols[k_uid_column]));
        } catch (const std::exception&) {
            return std::nullopt;  // the header line, or a format we do not know
        }
    }
    return std::nullopt;
}

std::optional<uid_t> tcp_peer_owner(in_addr peer, std::uint16_t peer_port, in_addr self, std::uint16_t self_port) {
    if (auto uid = find_tcp_owner(read_file("/proc/net/tcp"), proc_net_tcp_endpoint(peer, peer_port),
                                  proc_net_tcp_endpoint(self, self_port))) {
        return uid;
    }
    return find_tcp_owner(read_file("/proc/net/tcp6"), proc_net_tcp6_endpoint(peer, peer_port),
                          proc_net_tcp6_endpoint(self, self_port));
}

}  // namespace credctl::cli
