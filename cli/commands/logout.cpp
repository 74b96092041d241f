// credctl logout [PROVIDER]: revoke the refresh token at the provider
// (RFC 7009, done by credd) and forget the credential.
#include "cli/commands/command.hpp"
#include "common/wire/wire.hpp"

#include <iostream>
#include <memory>

namespace credctl::cli {
namespace {

struct LogoutOptions {
    std::string provider;
    std::string user;
    bool no_revoke = false;
    bool keep_on_failure = false;
};

Result<void> run_logout(const Globals& g, const LogoutOptions& o) {
    auto client = make_client(g);
    if (!client) return client.error();
    const auto user = o.user.empty() ? caller_name(*client) : Result<std::string>(o.user);
    if (!user) return user.error();
    std::string provider = o.provider;
    if (provider.empty()) {
        auto p = pick_provider(*client, "");
        if (!p) return p.error();
        provider = p->name;
    }
    std::string target = credential_path(*user, provider);
    if (o.no_revoke) {
        target += "?revoke=false";
    } else if (o.keep_on_failure) {
        target += "?keep_on_failure=true";
    }
    auto reply = client->call("DELETE", target);
    if (!reply) return reply.error();
    const std::string what = "credentials/" + *user + "/" + provider;
    auto removal = wire::parse_removal(reply->body);
    if (o.no_revoke) {
        std::cerr << "Forgot " << what << " (not revoked at the provider, as asked)\n";
    } else if (removal && removal->revoked) {
        std::cerr << "Revoked " << what << " at the provider and forgot it\n";
    } else {
        std::cerr << "Forgot " << what
                  << "; the provider was not told: " << (removal ? removal->revocation_error : std::string("no answer"))
                  << "\n";
    }
    return {};
}

}  // namespace

void add_logout(CLI::App& sub, const Globals& g, Runner& runner) {
    auto o = std::make_shared<LogoutOptions>();
    sub.add_option("provider", o->provider, "Provider name (default: credd's default provider, or its only one)");
    sub.add_option("--user", o->user, "Whose credential (default: yours, as credd names you)");
    auto* no_revoke = sub.add_flag("--no-revoke", o->no_revoke, "Forget locally without revoking at the provider");
    sub.add_flag("--keep-on-failure", o->keep_on_failure,
                 "Keep the credential when the provider cannot be told (exit 5)")
        ->excludes(no_revoke);
    sub.footer("Examples:\n  credctl logout github\n  credctl logout --user alice corp");
    runner = [&g, o] { return run_logout(g, *o); };
}

}  // namespace credctl::cli
