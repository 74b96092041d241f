#include "common/error/error.hpp"

#include <array>
#include <stdexcept>

namespace credctl {
namespace {

struct ErrcInfo {
    Errc code;
    std::string_view name;
    int http_status;
    int exit_code;  // credctl(1) EXIT STATUS
};

// One row per code: wire name, HTTP status, CLI exit status.
constexpr std::array<ErrcInfo, 11> k_errc_table{{
    {Errc::bad_request, "bad_request", 400, 2},
    {Errc::forbidden, "forbidden", 403, 3},
    {Errc::not_found, "not_found", 404, 7},
    {Errc::login_required, "login_required", 409, 4},
    {Errc::provider_unavailable, "provider_unavailable", 502, 5},
    {Errc::payload_too_large, "payload_too_large", 413, 2},
    {Errc::too_many_requests, "too_many_requests", 429, 5},
    {Errc::store_full, "store_full", 507, 1},
    {Errc::daemon_unreachable, "daemon_unreachable", 503, 6},
    {Errc::usage, "usage", 400, 2},
    {Errc::internal, "internal", 500, 1},
}};

const ErrcInfo& info(Errc code) {
    for (const auto& row : k_errc_table) {
        if (row.code == code) return row;
    }
    return k_errc_table.back();
}

}  // namespace

Error make_error(Errc code, std::string message) {
    return Error{code, std::move(message)};
}

std::string_view to_string(Errc code) {
    return info(code).name;
}

Errc errc_from_string(std::string_view code) {
    for (const auto& row : k_errc_table) {
        if (row.name == code) return row.code;
    }
    return Errc::internal;
}

int http_status(Errc code) {
    return info(code).http_status;
}

int exit_code(Errc code) {
    return info(code).exit_code;
}

void throw_exception_from_error(const Error& e, const boost::source_location&) {
    throw std::runtime_error(std::string(to_string(e.code)) + ": " + e.message);
}

}  // namespace credctl
