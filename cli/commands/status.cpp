// credctl status: is credd up, and how is it doing.
#include "cli/commands/command.hpp"
#include "common/wire/wire.hpp"

#include <iostream>
#include <memory>

namespace credctl::cli {
namespace {

Result<void> run_status(const Globals& g, const std::string& output) {
    auto client = make_client(g);
    if (!client) return client.error();
    auto reply = client->call("GET", "/v1/status");
    if (!reply) return reply.error();
    if (output == "json") {
        std::cout << reply->body << "\n";
        return {};
    }
    auto s = wire::parse_status(reply->body);
    if (!s) return s.error();
    std::cout << "credd " << s->version << " at " << client->socket_path() << "\n"
              << "uptime:       " << s->uptime_seconds << " s\n"
              << "credentials:  " << s->credentials << "\n"
              << "connections:  " << s->connections << "\n"
              << "store:        " << s->store << "\n";
    return {};
}

}  // namespace

void add_status(CLI::App& sub, const Globals& g, Runner& runner) {
    auto output = std::make_shared<std::string>("text");
    sub.add_option("-o,--output", *output, "text (default) or json")->check(CLI::IsMember({"text", "json"}));
    sub.footer("Examples:\n  credctl status\n  credctl --socket /run/credd/credd.sock status -o json");
    runner = [&g, output] { return run_status(g, *output); };
}

}  // namespace credctl::cli
