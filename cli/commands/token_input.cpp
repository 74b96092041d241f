#include "cli/commands/token_input.hpp"

#include "cli/proc_text.hpp"
#include "common/net/loopback.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include <sys/types.h>

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>

namespace credctl::cli {
namespace {

bool has_control_character(std::string_view s) {
    return std::any_of(s.begin(), s.end(), [](char c) {
        const auto u = static_cast<unsigned char>(c);
        return u < 0x20 || u == 0x7f;
    });
}

// "127.0.0.1:8080", "localhost", "[::1]:8080": the host without port
// and brackets, and the port (0 when none is given).
std::string_view host_of(std::string_view host, std::string_view* port) {
    *port = {};
    if (host.starts_with('[')) {
        const auto close = host.find(']');
        if (close == std::string_view::npos) return {};
        if (host.size() > close + 1 && host[close + 1] == ':') *port = host.substr(close + 2);
        return host.substr(1, close - 1);
    }
    if (const auto colon = host.rfind(':'); colon != std::string_view::npos) {
        *port = host.substr(colon + 1);
        return host.substr(0, colon);
    }
    return host;
}

// A listening row's local address as its bytes in network order: the
// kernel prints each 32-bit word of it as a native integer (%08X), so the
// word's bytes in memory are the address's. 4 or 16 bytes; 0 when not hex.
std::size_t address_bytes(std::string_view hex, std::uint8_t* out) {
    if (hex.size() != 8 && hex.size() != 32) return 0;
    for (std::size_t word = 0; word < hex.size() / 8; ++word) {
        std::uint32_t v = 0;
        const char* first = hex.data() + word * 8;
        const auto [end, ec] = std::from_chars(first, first + 8, v, 16);
        if (ec != std::errc{} || end != first + 8) return 0;
        std::memcpy(out + word * 4, &v, 4);
    }
    return hex.size() / 2;
}

// Whether a listening row's local address is a loopback one or every
// address: 127.x.x.x, 0.0.0.0, ::1, ::, ::ffff:127.x.x.x.
bool loopback_or_any(std::string_view hex) {
    std::uint8_t a[16] = {};
    const std::size_t n = address_bytes(hex, a);
    if (n == 4) return a[0] == 127 || (a[0] | a[1] | a[2] | a[3]) == 0;
    if (n != 16) return false;
    const auto zero = [&a](std::size_t from, std::size_t to) {
        return std::all_of(a + from, a + to, [](std::uint8_t b) { return b == 0; });
    };
    if (zero(0, 15) && (a[15] == 0 || a[15] == 1)) return true;
    return zero(0, 10) && a[10] == 0xff && a[11] == 0xff && a[12] == 127;
}

// Whether the rows of `table` listening at `port` on loopback or every
// address all belong to `uid`; `found` counts them.
bool listeners_of(std::string_view table, unsigned port, uid_t uid, int* found) {
    char want[8];
    std::snprintf(want, sizeof want, ":%04X", port);
    for (ProcRow row; next_proc_row(table, row);) {
        const auto& cols = row.cols;
        if (row.n < cols.size() || cols[ProcRow::k_state] != "0A" || !cols[ProcRow::k_local].ends_with(want)) continue;
        const auto local = cols[ProcRow::k_local];
        if (!loopback_or_any(local.substr(0, local.size() - 5))) continue;
        ++*found;
        if (cols[ProcRow::k_uid] != std::to_string(uid)) return false;
    }
    return true;
}

}  // namespace

bool loopback_server_is_users(const GitRequest& r, uid_t uid, std::string_view tcp, std::string_view tcp6) {
    std::string_view port_text;
    host_of(r.host, &port_text);
    unsigned port = port_text.empty() ? 80 : 0;
    for (char c : port_text) {
        if (c < '0' || c > '9' || port > 65535) return false;
        port = port * 10 + static_cast<unsigned>(c - '0');
    }
    if (port == 0 || port > 65535) return false;
    int found = 0;
    return listeners_of(tcp, port, uid, &found) && listeners_of(tcp6, port, uid, &found) && found > 0;
}

bool loopback_server_is_users(const GitRequest& r, uid_t uid) {
    return loopback_server_is_users(r, uid, read_proc_text("/proc/net/tcp"), read_proc_text("/proc/net/tcp6"));
}

GitRequest read_git_request(std::FILE* in) {
    GitRequest r;
    char* raw = nullptr;
    std::size_t capacity = 0;
    const std::unique_ptr<char*, void (*)(char**)> owned(&raw, [](char** p) { std::free(*p); });
    for (;;) {
        const ssize_t n = ::getline(&raw, &capacity, in);
        if (n <= 0) break;
        std::string_view line(raw, static_cast<std::size_t>(n));
        if (line.back() == '\n') line.remove_suffix(1);
        if (line.empty()) break;
        if (has_control_character(line)) continue;
        const auto eq = line.find('=');
        if (eq == std::string_view::npos) continue;
        const std::string_view key = line.substr(0, eq);
        std::string value(line.substr(eq + 1));
        if (key == "protocol") r.protocol = std::move(value);
        if (key == "host") r.host = std::move(value);
        if (key == "username") r.username = std::move(value);
    }
    return r;
}

bool git_request_may_have_token(const GitRequest& r) {
    if (r.protocol.empty() || r.protocol == "https") return true;
    if (r.protocol != "http") return false;
    std::string_view port;
    const std::string_view host = host_of(r.host, &port);
    return !host.empty() && net::is_loopback_host(host);
}

std::string exec_api_version(const char* info) {
    std::string version = "client.authentication.k8s.io/v1";
    if (info == nullptr) return version;
    boost::system::error_code ec;
    auto v = boost::json::parse(info, ec);
    if (ec || !v.is_object()) return version;
    if (const auto* a = v.as_object().if_contains("apiVersion"); a != nullptr && a->is_string()) {
        const std::string wanted(a->as_string());
        if (wanted == "client.authentication.k8s.io/v1beta1") version = wanted;
    }
    return version;
}

}  // namespace credctl::cli
