// ProviderConfig: one OAuth provider as configured in credd.toml
// ([providers.NAME]). Public settings only: the client secret is named by a
// file path and read by whichever process needs it, never sent over the
// daemon socket (SPEC §10).
//
// Used by the daemon (config, refresh) and the CLI (login, from
// GET /v1/providers). Plain value type.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace credctl {

enum class ClientAuth { none, client_secret_basic, client_secret_post };

struct ProviderConfig {
    std::string name;
    std::string issuer;                  // OpenID discovery / RFC 8414 when set
    std::string authorization_endpoint;  // explicit endpoints override discovery
    std::string token_endpoint;
    std::string revocation_endpoint;
    std::string client_id;
    ClientAuth client_auth = ClientAuth::none;
    std::string client_secret_file;
    std::vector<std::string> scopes;
    std::uint16_t redirect_port = 0;  // 0: ephemeral loopback port
    std::string ca_file;              // empty: the system trust store
};

[[nodiscard]] const char* to_string(ClientAuth auth);

}  // namespace credctl
