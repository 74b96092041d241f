// ProviderConfig: one OAuth provider as configured in credd.toml
// ([providers.NAME]). Public settings only: the client secret is named by a
// file path and read by whichever process needs it, never sent over the
// daemon socket (docs/api.md "Bodies", GET /v1/providers).
//
// Used by the daemon (config, refresh) and the CLI (login, from
// GET /v1/providers). Plain value type.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace credctl {

// keep_alive_days accepted up to ten years: past any provider's idle timeout.
inline constexpr std::int64_t k_max_keep_alive_days = 3650;

enum class ClientAuth { none, client_secret_basic, client_secret_post };

struct ProviderConfig {
    std::string name;
    std::string issuer;                  // OpenID discovery / RFC 8414 when set
    std::string authorization_endpoint;  // explicit endpoints override discovery
    std::string token_endpoint;
    std::string revocation_endpoint;
    std::string device_authorization_endpoint;  // RFC 8628
    std::string client_id;
    ClientAuth client_auth = ClientAuth::none;
    std::string client_secret_file;
    std::vector<std::string> scopes;
    std::uint16_t redirect_port = 0;          // 0: ephemeral loopback port
    std::string ca_file;                      // empty: the system trust store
    std::string resource;                     // RFC 8707 resource indicator; empty: none
    bool is_default = false;                  // chosen when a command names no provider
    std::chrono::seconds connect_timeout{5};  // TCP connect to the provider
    std::chrono::seconds timeout{0};          // one exchange; 0: credd's provider_timeout
    std::chrono::seconds retry_deadline{30};  // all attempts of one refresh
    // keep_alive_days: refresh a credential not refreshed for this long
    // (daemon/tokens/keep_alive.hpp); 0: off. Fractions of a day allowed.
    std::chrono::seconds keep_alive{0};
};

// "none", "client_secret_basic", "client_secret_post": the values of
// client_auth in credctl.toml(5) and on the wire. parse_client_auth() is the
// inverse; std::nullopt for any other text.
[[nodiscard]] const char* to_string(ClientAuth auth);
[[nodiscard]] std::optional<ClientAuth> parse_client_auth(std::string_view text);

}  // namespace credctl
