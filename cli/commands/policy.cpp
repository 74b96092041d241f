// credctl policy check: would a caller get a permission on a credential, and
// by which grant? Asks credd, which holds the policy; needs root or the
// daemon's uid (credentials:* on credentials/*/*).
#include "cli/commands/command.hpp"
#include "cli/commands/login_helper.hpp"
#include "cli/commands/parsed_call.hpp"
#include "common/wire/policy_wire.hpp"

// add_subcommand constructs an App, whose default formatter and config
// are defined here (App.hpp declares them only).
#include <CLI/Config.hpp>
#include <CLI/Formatter.hpp>

#include <iostream>
#include <memory>

namespace credctl::cli {
namespace {

struct CheckOptions {
    wire::PolicyCheck check;
    std::string permission = "token";
    std::int64_t as_uid = -1;
    std::string exe;
    std::string unit;
    std::string output = "text";
};

std::string describe(const wire::Identity& id) {
    std::string out = id.user ? *id.user + " (uid " + std::to_string(id.uid) + ")" : "uid " + std::to_string(id.uid);
    if (id.exe) out += ", exe " + *id.exe;
    if (id.systemd_unit) out += ", unit " + *id.systemd_unit;
    return out;
}

Result<void> run_check(const Globals& g, CheckOptions o) {
    o.check.permission = "credentials:" + o.permission;
    if (o.as_uid >= 0) o.check.as_uid = o.as_uid;
    // A login is asked for by credctl-login, not by credctl: that is the
    // executable credd will see (login_helper.hpp).
    if (o.exe.empty() && o.permission == "login") {
        auto helper = login_helper_exe();
        if (!helper) return helper.error();
        o.exe = std::move(*helper);
    }
    if (!o.exe.empty()) o.check.exe = o.exe;
    if (!o.unit.empty()) o.check.systemd_unit = o.unit;
    auto client = make_client(g);
    if (!client) return client.error();
    auto answer = call_parsed(*client, "POST", "/v1/policy/check", wire::parse_policy_decision, wire::to_json(o.check));
    if (!answer) return answer.error();
    const wire::PolicyDecision& d = answer->value;
    if (o.output == "json") {
        std::cout << answer->body << "\n";
    } else {
        std::cout << (d.allowed ? "allow: " : "deny: ") << d.permission << " on " << d.resource << " for "
                  << describe(d.identity) << (d.allowed ? " by " : ": ") << d.reason << "\n";
    }
    if (!d.allowed) return make_error(Errc::forbidden, "policy check: denied");
    return {};
}

}  // namespace

void add_policy(CLI::App& sub, const Globals& g, Runner& runner) {
    sub.require_subcommand(1);
    auto* check = sub.add_subcommand("check", "Explain whether a caller may use a credential, and by which grant");
    auto o = std::make_shared<CheckOptions>();
    check->add_option("--user", o->check.user, "Owner of the credential")->required();
    check->add_option("--provider", o->check.provider, "Provider of the credential")->required();
    check->add_option("--permission", o->permission, "token (default), read, login, delete or *")
        ->check(CLI::IsMember({"token", "read", "login", "delete", "*"}));
    check->add_option("--as-uid", o->as_uid, "Check for a process of this uid (default: this process)")
        ->check(CLI::Range(0, 0x7ffffffe));
    check->add_option("--exe", o->exe,
                      "... running this executable (absolute path; for login, credctl-login by default)");
    check->add_option("--unit", o->unit, "... in this systemd unit");
    check->add_option("-o,--output", o->output, "text (default) or json")->check(CLI::IsMember({"text", "json"}));
    check->footer(
        "Exit status: 0 allowed, 3 denied.\n"
        "Example:\n  credctl policy check --user alice --provider github --as-uid 1001 --exe /opt/jobs/bin/sync");
    runner = [&g, o] { return run_check(g, *o); };
}

}  // namespace credctl::cli
