// The names of ClientAuth (provider.hpp), apart from the TOML reader: the
// wire code uses them, and credctl's plain lines hold no toml++.
#include "common/config/provider.hpp"

#include <array>
#include <utility>

namespace credctl {
namespace {

// The names of client_auth in credctl.toml(5) and on the wire.
constexpr std::array<std::pair<std::string_view, ClientAuth>, 3> k_client_auth{{
    {"none", ClientAuth::none},
    {"client_secret_basic", ClientAuth::client_secret_basic},
    {"client_secret_post", ClientAuth::client_secret_post},
}};

}  // namespace

const char* to_string(ClientAuth auth) {
    for (const auto& [name, value] : k_client_auth) {
        if (value == auth) return name.data();  // a literal: NUL-terminated
    }
    return "none";
}

std::optional<ClientAuth> parse_client_auth(std::string_view text) {
    for (const auto& [name, value] : k_client_auth) {
        if (name == text) return value;
    }
    return std::nullopt;
}

}  // namespace credctl
