// credctl status: is credd up, how is it doing, and what state each of the
// caller's (or --user's) credentials is in: valid, refreshing,
// login_required or provider_unavailable, with what to do about it. To an
// administrator (root, credd's user) it also lists every user's credentials
// that need a login (GET /v1/credentials?state=login_required). The store's
// backend, state and, on etcd, its members: status_text.hpp.
#include "cli/commands/command.hpp"
#include "cli/commands/status_text.hpp"
#include "cli/output/table.hpp"
#include "common/wire/wire.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include <iostream>
#include <memory>
#include <optional>

namespace credctl::cli {
namespace {

struct StatusOptions {
    std::string user;
    std::string output = "text";
};

// The credentials part is best effort: a caller that may not read them still
// gets the daemon's status.
std::optional<DaemonReply> credentials_of(const DaemonClient& client, const std::string& user) {
    auto reply = client.call("GET", "/v1/users/" + user + "/credentials");
    if (!reply) return std::nullopt;
    return std::move(*reply);
}
std::optional<DaemonReply> credentials_of_all(const DaemonClient& client) {
    auto reply = client.call("GET", "/v1/credentials?state=login_required");
    if (!reply) return std::nullopt;
    return std::move(*reply);
}

// Every user's credentials that need a login, for an administrator only:
// anyone else is not asked (a refusal would be an audited denial).
std::optional<DaemonReply> needing_login(const DaemonClient& client, bool administrator) {
    if (!administrator) return std::nullopt;
    return credentials_of_all(client);
}

Result<void> print_json(const DaemonClient& client, std::string_view status, const std::optional<DaemonReply>& creds,
                        const std::optional<DaemonReply>& needs_login) {
    boost::system::error_code ec;
    auto v = boost::json::parse(status, ec);
    if (ec || !v.is_object()) return make_error(Errc::internal, "credd's status is not a JSON object");
    auto& o = v.as_object();
    o["socket"] = client.socket_path();
    if (creds) {
        auto c = boost::json::parse(creds->body, ec);
        if (!ec && c.is_object() && c.as_object().contains("credentials"))
            o["credentials"] = c.as_object()["credentials"];
    }
    if (needs_login) {
        auto n = boost::json::parse(needs_login->body, ec);
        if (!ec && n.is_object() && n.as_object().contains("credentials"))
            o["needs_login"] = n.as_object()["credentials"];
    }
    std::cout << boost::json::serialize(v) << "\n";
    return {};
}

// What to do about a state, or "-".
std::string note(const wire::CredentialInfo& c) {
    if (c.state == "provider_unavailable") {
        return "refresh failing since " + format_time(c.unavailable_since) + "; retried on the next token request";
    }
    if (c.state == "login_required") return "run: credctl login " + c.provider;
    return "-";
}

void print_credentials(const std::string& user, const std::optional<DaemonReply>& creds) {
    if (!creds) return;
    auto list = wire::parse_credential_list(creds->body);
    if (!list) return;
    if (list->empty()) {
        std::cout << "\nNo credentials for " << user << ".\n";
        return;
    }
    std::cout << "\nCredentials of " << user << ":\n";
    Table t({"PROVIDER", "STATE", "ACCESS EXPIRES", "UPDATED", "NOTE"});
    for (const auto& c : *list) {
        t.add({c.provider, c.state, format_time(c.access_expires_at), format_time(c.updated_at), note(c)});
    }
    t.print(std::cout);
}

void print_needing_login(const std::optional<DaemonReply>& needs_login) {
    if (!needs_login) return;
    auto list = wire::parse_credential_list(needs_login->body);
    if (!list) return;
    if (list->empty()) {
        std::cout << "\nNo credential of any user needs a login.\n";
        return;
    }
    std::cout << "\nCredentials that need a login (all users):\n";
    Table t({"USER", "PROVIDER", "STATE", "UPDATED", "NOTE"});
    for (const auto& c : *list) {
        t.add({c.user, c.provider, c.state, format_time(c.updated_at),
               "run as " + c.user + ": credctl login " + c.provider});
    }
    t.print(std::cout);
}

Result<void> run_status(const Globals& g, const StatusOptions& o) {
    auto client = make_client(g);
    if (!client) return client.error();
    auto reply = client->call("GET", "/v1/status");
    if (!reply) return reply.error();
    auto s = wire::parse_status(reply->body);
    if (!s) return s.error();
    // Listing credentials reads the store: when it is unreachable that would
    // only wait out credd's store timeout, twice, to fail.
    const bool readable = s->store_state != "unreachable";
    const auto user = o.user.empty() ? caller_name(*client) : Result<std::string>(o.user);
    const auto creds = user && readable ? credentials_of(*client, *user) : std::nullopt;
    const auto needs_login = needing_login(*client, s->administrator && readable);
    if (o.output == "json") return print_json(*client, reply->body, creds, needs_login);
    std::cout << "credd " << s->version << " at " << client->socket_path() << "\n";
    std::cout << version_note(CREDCTL_VERSION, s->version);
    std::cout << "uptime:       " << s->uptime_seconds << " s\n"
              << "credentials:  " << s->credentials << "\n"
              << "connections:  " << s->connections << "\n";
    print_store(std::cout, *s);
    if (!readable) std::cout << "\nCredentials not listed: the store is unreachable.\n";
    if (user) print_credentials(*user, creds);
    print_needing_login(needs_login);
    return {};
}

}  // namespace

void add_status(CLI::App& sub, const Globals& g, Runner& runner) {
    auto o = std::make_shared<StatusOptions>();
    sub.add_option("--user", o->user, "Whose credentials to show (default: yours, as credd names you)");
    sub.add_option("-o,--output", o->output, "text (default) or json")->check(CLI::IsMember({"text", "json"}));
    sub.footer("Examples:\n  credctl status\n  credctl --socket /run/credd/credd.sock status -o json");
    runner = [&g, o] { return run_status(g, *o); };
}

}  // namespace credctl::cli
