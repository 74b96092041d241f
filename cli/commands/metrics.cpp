// credctl metrics: credd's metrics as it answers them (GET /v1/metrics, the
// Prometheus text format of docs/metrics.md), for a look by hand or a
// node-exporter textfile written from a timer.
#include "cli/commands/command.hpp"

#include <iostream>

namespace credctl::cli {
namespace {

Result<void> run_metrics(const Globals& g) {
    auto client = make_client(g);
    if (!client) return client.error();
    auto reply = client->call("GET", "/v1/metrics");
    if (!reply) return reply.error();
    std::cout << std::string_view(reply->body);
    return {};
}

}  // namespace

void add_metrics(CLI::App& sub, const Globals& g, Runner& runner) {
    sub.footer(
        "Needs metrics:read on metrics (root, credd's user, or a grant).\nExamples:\n  credctl metrics\n"
        "  credctl metrics | grep '^credd_refreshes_total'");
    runner = [&g] { return run_metrics(g); };
}

}  // namespace credctl::cli
