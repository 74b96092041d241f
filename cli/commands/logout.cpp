// credctl logout PROVIDER: forget a stored credential.
#include "cli/commands/command.hpp"

#include <iostream>
#include <memory>

namespace credctl::cli {
namespace {

struct LogoutOptions {
    std::string provider;
    std::string user;
};

Result<void> run_logout(const Globals& g, const LogoutOptions& o) {
    auto client = make_client(g);
    if (!client) return client.error();
    const auto user = o.user.empty() ? current_user() : Result<std::string>(o.user);
    if (!user) return user.error();
    auto reply = client->call("DELETE", credential_path(*user, o.provider));
    if (!reply) return reply.error();
    std::cerr << "Forgot credentials/" << *user << "/" << o.provider << "\n";
    return {};
}

}  // namespace

void add_logout(CLI::App& sub, const Globals& g, Runner& runner) {
    auto o = std::make_shared<LogoutOptions>();
    sub.add_option("provider", o->provider, "Provider name")->required();
    sub.add_option("--user", o->user, "Whose credential (default: your login name)");
    sub.footer("Examples:\n  credctl logout github\n  credctl logout --user alice corp");
    runner = [&g, o] { return run_logout(g, *o); };
}

}  // namespace credctl::cli
