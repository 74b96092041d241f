// credctl whoami: how credd sees this process, and what it may do.
#include "cli/commands/command.hpp"
#include "cli/commands/login_helper.hpp"
#include "cli/output/table.hpp"
#include "common/text/printable.hpp"
#include "common/wire/policy_wire.hpp"

#include <iostream>
#include <memory>

namespace credctl::cli {
namespace {

// What credd quotes about this process (its user, executable, unit) is
// printed escaped: the executable's path may hold terminal controls.
std::string shown(const std::optional<std::string>& v, std::string_view absent) {
    return v ? text::printable(*v) : std::string(absent);
}

std::string join(const std::vector<std::string>& v) {
    std::string out;
    for (const auto& s : v) out += (out.empty() ? "" : ", ") + s;
    return out;
}

Result<void> run_whoami(const Globals& g, const std::string& output) {
    auto client = make_client(g);
    if (!client) return client.error();
    auto reply = client->call("GET", "/v1/whoami");
    if (!reply) return reply.error();
    if (output == "json") {
        std::cout << reply->body << "\n";
        return {};
    }
    auto w = wire::parse_whoami(reply->body);
    if (!w) return w.error();
    const auto& id = w->identity;
    std::string groups;
    for (auto gid : id.groups) {
        if (gid != id.gid) groups += (groups.empty() ? "" : " ") + std::to_string(gid);
    }
    std::cout << "user:        " << shown(id.user, "(no user name)") << " (uid " << id.uid << ")\n"
              << "group:       gid " << id.gid << (groups.empty() ? "" : ", supplementary " + groups) << "\n"
              << "pid:         " << id.pid << "\n"
              << "exe:         " << shown(id.exe, "(not known for certain)") << "\n"
              << "exe_sha256:  " << shown(id.exe_sha256, "(computed only when a request needs it)") << "\n"
              << "unit:        " << shown(id.systemd_unit, "(none)") << "\n"
              << "identity:    " << (id.verified ? "verified by " + id.liveness : "not verified") << "\n";
    // Grants below are matched against this process; a login is asked for
    // by the program `credctl login` runs.
    if (auto helper = login_helper_exe())
        std::cout << "login exe:   " << *helper << " (credd sees a login as this program)\n";
    if (w->owner_access && id.user) {
        std::cout << "owner rule:  every permission on credentials/" << *id.user << "/*\n";
    } else {
        std::cout << "owner rule:  " << (w->owner_access ? "on (but this uid has no user name)" : "off") << "\n";
    }
    if (w->grants.empty()) {
        std::cout << "grants:      none match this process\n";
        return {};
    }
    Table t({"GRANT", "PERMISSIONS", "RESOURCES"});
    for (const auto& gr : w->grants) t.add({gr.name, join(gr.permissions), join(gr.resources)});
    std::cout << "\n";
    t.print(std::cout);
    return {};
}

}  // namespace

void add_whoami(CLI::App& sub, const Globals& g, Runner& runner) {
    auto output = std::make_shared<std::string>("text");
    sub.add_option("-o,--output", *output, "text (default) or json")->check(CLI::IsMember({"text", "json"}));
    sub.footer("Example:\n  credctl whoami            # identity, owner rule and the grants that match");
    runner = [&g, output] { return run_whoami(g, *output); };
}

}  // namespace credctl::cli
