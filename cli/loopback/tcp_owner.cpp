#include "cli/loopback/tcp_owner.hpp"

#include "cli/proc_text.hpp"

#include <charconv>
#include <cstdio>
#include <cstring>
#include <vector>

namespace credctl::cli {
namespace {

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
    for (ProcRow row; next_proc_row(table, row);) {
        if (row.n <= ProcRow::k_uid) continue;
        if (row.cols[ProcRow::k_local] != local || row.cols[ProcRow::k_remote] != remote) continue;
        const std::string_view uid = row.cols[ProcRow::k_uid];
        uid_t value = 0;
        const auto [end, ec] = std::from_chars(uid.data(), uid.data() + uid.size(), value);
        if (ec != std::errc{} || end != uid.data() + uid.size()) return std::nullopt;  // a format we do not know
        return value;
    }
    return std::nullopt;
}

std::optional<uid_t> tcp_peer_owner(in_addr peer, std::uint16_t peer_port, in_addr self, std::uint16_t self_port) {
    if (auto uid = find_tcp_owner(read_proc_text("/proc/net/tcp"), proc_net_tcp_endpoint(peer, peer_port),
                                  proc_net_tcp_endpoint(self, self_port))) {
        return uid;
    }
    return find_tcp_owner(read_proc_text("/proc/net/tcp6"), proc_net_tcp6_endpoint(peer, peer_port),
                          proc_net_tcp6_endpoint(self, self_port));
}

}  // namespace credctl::cli
