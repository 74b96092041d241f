// Which provider a command means when it names one, or none (credctl(1)):
// the named one; else the one marked `default = true`; else the only one.
#include "cli/commands/command.hpp"
#include "common/wire/wire.hpp"

namespace credctl::cli {
namespace {

Result<ProviderConfig> choose(const DaemonReply& reply, const std::string& name) {
    auto providers = wire::parse_providers(reply.body);
    if (!providers) return providers.error();
    for (auto& p : *providers) {
        if (name.empty() ? p.is_default : p.name == name) return std::move(p);
    }
    if (!name.empty())
        return make_error(Errc::not_found, "credd has no provider named " + name + " (see: credctl providers)");
    if (providers->size() == 1) return providers->front();
    return make_error(Errc::usage, "credd knows " + std::to_string(providers->size()) +
                                       " providers and none is the default; name one (see: credctl providers)");
}

}  // namespace

Result<ProviderConfig> pick_provider(const DaemonClient& client, const std::string& name) {
    auto reply = client.call("GET", "/v1/providers");
    if (!reply) return reply.error();
    return choose(*reply, name);
}

Result<ProviderConfig> pick_provider(DaemonConnection& connection, const std::string& name) {
    auto reply = connection.call("GET", "/v1/providers");
    if (!reply) return reply.error();
    return choose(*reply, name);
}

}  // namespace credctl::cli
