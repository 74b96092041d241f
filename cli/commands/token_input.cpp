#include "cli/commands/token_input.hpp"

#include "cli/proc_text.hpp"
#include "common/net/loopback.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include <sys/types.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
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

// Whether a listening row's local address (/proc/net/tcp or tcp6 hex, in
// the kernel's word order) is a loopback one or every address.
bool loopback_or_any(std::string_view address) {
    if (address.find_first_not_of('0') == std::string_view::npos) return true;  // 0.0.0.0, ::
    if (address.size() == 8) return address.ends_with("7F");                    // 127.x.x.x
    if (address == "00000000000000000000000001000000") return true;             // ::1
    // ::ffff:127.x.x.x
    return address.size() == 32 && address.starts_with("0000000000000000FFFF0000") && address.ends_with("7F");
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
