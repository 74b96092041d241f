// credctl providers: the providers credd is configured with (public settings).
#include "cli/commands/command.hpp"
#include "cli/output/table.hpp"
#include "common/wire/wire.hpp"

#include <iostream>
#include <memory>

namespace credctl::cli {
namespace {

Result<void> run_providers(const Globals& g, const std::string& output) {
    auto client = make_client(g);
    if (!client) return client.error();
    auto reply = client->call("GET", "/v1/providers");
    if (!reply) return reply.error();
    if (output == "json") {
        std::cout << reply->body << "\n";
        return {};
    }
    auto list = wire::parse_providers(reply->body);
    if (!list) return list.error();
    Table t({"NAME", "ISSUER", "CLIENT ID", "SCOPES"});
    for (const auto& p : *list) {
        std::string scopes;
        for (const auto& s : p.scopes) scopes += (scopes.empty() ? "" : " ") + s;
        t.add({p.name, p.issuer.empty() ? p.token_endpoint : p.issuer, p.client_id, scopes.empty() ? "-" : scopes});
    }
    t.print(std::cout);
    return {};
}

}  // namespace

void add_providers(CLI::App& sub, const Globals& g, Runner& runner) {
    auto output = std::make_shared<std::string>("table");
    sub.add_option("-o,--output", *output, "table (default) or json")->check(CLI::IsMember({"table", "json"}));
    sub.footer("Examples:\n  credctl providers\n  credctl providers -o json");
    runner = [&g, output] { return run_providers(g, *output); };
}

}  // namespace credctl::cli
