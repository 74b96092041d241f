// The last step of `credctl login`: handing the new credential to credd.
//
// On one checked connection (DaemonClient::connect) credctl asks credd for
// the provider's public settings again and stores the credential only if
// they are the ones the login used: the daemon that receives the refresh
// token is the daemon that named the endpoints the code was exchanged at.
//
// Before the PUT, the subject of the credential it replaces is compared with
// the new one (credctl(1), --allow-new-subject): a login that would turn
// credentials/USER/PROVIDER into another account's is refused, or, at a
// terminal, asked about; with --allow-new-subject it goes on with a warning.
//
// Used by cli/commands/login.cpp only. Thread-safety: one thread.
#pragma once

#include "cli/client/daemon_client.hpp"
#include "common/config/provider.hpp"
#include "common/error/error.hpp"
#include "common/wire/wire.hpp"

#include <string>

namespace credctl::cli {

struct StoreRequest {
    const ProviderConfig* provider = nullptr;  // the settings the login used
    std::string user;
    bool allow_new_subject = false;
};

// Errors: daemon_unreachable, the daemon's errors on PUT, forbidden when the
// subject changes and was not allowed, provider_unavailable when credd's
// settings of the provider changed during the login. Zeroes the request body.
[[nodiscard]] Result<void> store_login(const DaemonClient& client, const StoreRequest& request,
                                       const wire::StoreCredential& credential);

// Whether the public settings that decide where a code and tokens go are the
// same in `a` and `b` (issuer, endpoints, client id and authentication).
[[nodiscard]] bool same_login_settings(const ProviderConfig& a, const ProviderConfig& b);

}  // namespace credctl::cli
