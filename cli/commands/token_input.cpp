#include "cli/commands/token_input.hpp"

#include "common/net/loopback.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include <sys/types.h>

#include <algorithm>
#include <cstdlib>
#include <memory>
#include <string_view>

namespace credctl::cli {
namespace {

bool has_control_character(std::string_view s) {
    return std::any_of(s.begin(), s.end(), [](char c) {
        const auto u = static_cast<unsigned char>(c);
        return u < 0x20 || u == 0x7f;
    });
}

}  // namespace

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
    // "127.0.0.1:8080", "localhost", "[::1]:8080": the host without port
    // and brackets.
    std::string_view host = r.host;
    if (host.starts_with('[')) {
        const auto close = host.find(']');
        if (close == std::string_view::npos) return false;
        host = host.substr(1, close - 1);
    } else if (const auto colon = host.rfind(':'); colon != std::string_view::npos) {
        host = host.substr(0, colon);
    }
    return net::is_loopback_host(host);
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
