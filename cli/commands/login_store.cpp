#include "cli/commands/login_store.hpp"

#include "cli/commands/command.hpp"
#include "common/text/printable.hpp"

#include <unistd.h>

#include <iostream>
#include <optional>

namespace credctl::cli {
namespace {

// The subject credd holds for credentials/USER/PROVIDER, empty when there is
// none or it was stored without one. A caller that may log in but not read
// (a grant without credentials:read) cannot be told: std::nullopt.
Result<std::optional<std::string>> stored_subject(DaemonConnection& conn, const std::string& user,
                                                  const std::string& provider) {
    auto reply = conn.request("GET", "/v1/users/" + user + "/credentials");
    if (!reply) return reply.error();
    if (reply->status == 403) return std::optional<std::string>();
    if (reply->status < 200 || reply->status >= 300) return wire::parse_problem(reply->status, reply->body);
    auto list = wire::parse_credential_list(reply->body);
    if (!list) return list.error();
    for (const auto& c : *list) {
        if (c.provider == provider) return std::optional<std::string>(c.subject);
    }
    return std::optional<std::string>(std::string());
}

bool at_terminal() {
    return ::isatty(STDIN_FILENO) == 1 && ::isatty(STDERR_FILENO) == 1;
}

bool user_agrees() {
    std::cerr << "Replace it with the new account? [y/N] " << std::flush;
    std::string answer;
    if (!std::getline(std::cin, answer)) return false;
    return answer == "y" || answer == "Y" || answer == "yes";
}

// Ok to go on; the caller reconnects when `asked` (the prompt may outlast
// credd's idle timeout).
Result<void> accept_subject(const std::string& what, const std::string& old_subject, const std::string& new_subject,
                            bool allowed, bool& asked) {
    if (old_subject.empty() || new_subject.empty() || old_subject == new_subject) return {};
    const std::string change = what + " belongs to subject \"" + old_subject + "\"; this login is subject \"" +
                               new_subject + "\", another account";
    if (allowed) {
        std::cerr << "credctl: WARNING: " << text::printable(change) << "; replacing it (--allow-new-subject)\n";
        return {};
    }
    if (at_terminal()) {
        std::cerr << "credctl: WARNING: " << text::printable(change) << ".\n"
                  << "If you did not just sign in as \"" << text::printable(new_subject)
                  << "\", someone else may have answered this login.\n";
        asked = true;
        if (user_agrees()) return {};
    }
    return make_error(Errc::forbidden, change + "; not replacing it (pass --allow-new-subject if you mean it)");
}

Result<DaemonConnection> connect_confirmed(const DaemonClient& client, const ProviderConfig& used) {
    auto conn = client.connect();
    if (!conn) return conn.error();
    auto now = pick_provider(*conn, used.name);
    if (!now) return now.error();
    if (!same_login_settings(*now, used)) {
        return make_error(Errc::provider_unavailable, "credd's settings of provider " + used.name +
                                                          " changed during the login; not storing it, log in again");
    }
    return conn;
}

}  // namespace

bool same_login_settings(const ProviderConfig& a, const ProviderConfig& b) {
    return a.name == b.name && a.issuer == b.issuer && a.authorization_endpoint == b.authorization_endpoint &&
           a.token_endpoint == b.token_endpoint && a.device_authorization_endpoint == b.device_authorization_endpoint &&
           a.client_id == b.client_id && a.client_auth == b.client_auth && a.ca_file == b.ca_file &&
           a.resource == b.resource;
}

Result<void> store_login(const DaemonClient& client, const StoreRequest& request,
                         const wire::StoreCredential& credential) {
    const ProviderConfig& used = *request.provider;
    auto conn = connect_confirmed(client, used);
    if (!conn) return conn.error();
    const std::string what = "credentials/" + request.user + "/" + used.name;
    auto old_subject = stored_subject(*conn, request.user, used.name);
    if (!old_subject) return old_subject.error();
    bool asked = false;
    if (*old_subject) {
        auto ok = accept_subject(what, **old_subject, credential.subject, request.allow_new_subject, asked);
        if (!ok) return ok.error();
    }
    if (asked) {
        conn = connect_confirmed(client, used);
        if (!conn) return conn.error();
    }
    const SecretString body = wire::to_json(credential);
    auto put = conn->call("PUT", credential_path(request.user, used.name), body, true);
    if (!put) return put.error();
    return {};
}

}  // namespace credctl::cli
