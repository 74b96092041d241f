#include "cli/commands/login_options.hpp"

namespace credctl::cli {

void add_login_options(CLI::App& sub, LoginOptions& o) {
    sub.add_option("provider", o.provider, "Provider name (default: credd's default provider, or its only one)");
    sub.add_option("--user", o.user, "Logical user the credential belongs to (default: yours, as credd names you)");
    sub.add_flag("--no-browser", o.no_browser,
                 "Do not start a browser: print the URL and accept the pasted redirect address on stdin (SSH)");
    auto* device = sub.add_flag("--device", o.device, "Device authorization (RFC 8628): a code to enter on any device");
    sub.add_option("--port", o.port, "Loopback port for the redirect (default: the provider's, else ephemeral)")
        ->check(CLI::Range(0, 65535))
        ->excludes(device);
    sub.add_option("--timeout", o.timeout_seconds, "Seconds to wait for the login")->check(CLI::Range(1, 3600));
    sub.add_option("--client-secret-file", o.client_secret_file,
                   "File holding the client secret, for providers with client_auth other than none (mode 0600)");
    sub.add_flag("--allow-new-subject", o.allow_new_subject,
                 "Replace a stored credential even when this login is another account (another subject)");
    sub.footer(
        "Examples:\n  credctl login github\n  BROWSER=firefox credctl login corp\n"
        "  credctl login --no-browser corp    # over SSH: paste the address back\n"
        "  credctl login --device corp");
}

}  // namespace credctl::cli
