// credctl list: the caller's (or --user's) credentials, never a secret.
#include "cli/commands/command.hpp"
#include "cli/output/table.hpp"
#include "common/wire/wire.hpp"

#include <iostream>
#include <memory>

namespace credctl::cli {
namespace {

struct ListOptions {
    std::string user;
    std::string output = "table";
};

Result<void> run_list(const Globals& g, const ListOptions& o) {
    auto client = make_client(g);
    if (!client) return client.error();
    const auto user = o.user.empty() ? caller_name(*client) : Result<std::string>(o.user);
    if (!user) return user.error();
    auto reply = client->call("GET", "/v1/users/" + *user + "/credentials");
    if (!reply) return reply.error();
    if (o.output == "json") {
        std::cout << reply->body << "\n";
        return {};
    }
    auto list = wire::parse_credential_list(reply->body);
    if (!list) return list.error();
    if (list->empty()) {
        std::cerr << "No credentials for " << *user << ". Add one with: credctl login PROVIDER\n";
        return {};
    }
    Table t({"PROVIDER", "STATE", "SUBJECT", "SCOPE", "ACCESS EXPIRES", "UPDATED"});
    for (const auto& c : *list) {
        t.add({c.provider, c.state, c.subject.empty() ? "-" : c.subject, c.scope.empty() ? "-" : c.scope,
               format_time(c.access_expires_at), format_time(c.updated_at)});
    }
    t.print(std::cout);
    return {};
}

}  // namespace

void add_list(CLI::App& sub, const Globals& g, Runner& runner) {
    auto o = std::make_shared<ListOptions>();
    sub.add_option("--user", o->user, "Whose credentials (default: yours, as credd names you)");
    sub.add_option("-o,--output", o->output, "table (default) or json")->check(CLI::IsMember({"table", "json"}));
    sub.footer("Examples:\n  credctl list\n  credctl list --user alice -o json");
    runner = [&g, o] { return run_list(g, *o); };
}

}  // namespace credctl::cli
