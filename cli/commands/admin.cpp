// credctl admin status|check|backup FILE|restore FILE|rotate-key: store administration
// (docs/api.md "Administration"). Needs credentials:* on credentials/*/*:
// root, credd's own user, or a client granted it.
// Nothing here ever prints a secret: the daemon's answers hold none.
#include "cli/commands/command.hpp"
#include "cli/commands/parsed_call.hpp"
#include "common/wire/admin_wire.hpp"

// add_subcommand constructs an App, whose default formatter and config
// are defined here (App.hpp declares them only).
#include <CLI/Config.hpp>
#include <CLI/Formatter.hpp>

#include <array>
#include <chrono>
#include <filesystem>
#include <iostream>
#include <memory>
#include <string>
#include <string_view>
#include <system_error>
#include <thread>

namespace credctl::cli {
namespace {

// How often `rotate-key` asks for progress while it waits.
constexpr std::chrono::milliseconds k_poll_interval{200};
// A progress line every 5 s of a long rotation.
constexpr int k_polls_per_report = 25;

struct AdminOptions {
    std::string output = "text";
    std::string file;  // backup target or new master key
    bool no_wait = false;
};

Result<wire::StoreStatus> store_status(const DaemonClient& client) {
    auto s = call_parsed(client, "GET", "/v1/admin/store", wire::parse_store_status);
    if (!s) return s.error();
    return std::move(s->value);
}

void print_status(const wire::StoreStatus& s) {
    std::cout << "records:      " << s.records << "\n"
              << "used:         " << s.used_bytes << " bytes\n"
              << "map:          " << s.map_bytes << " of at most " << s.max_map_bytes << " bytes\n"
              << "data key:     " << s.current_key << "\n"
              << "rotating:     " << (s.rotating ? "yes" : "no") << "\n";
    if (!s.rotation_error.empty()) std::cout << "rotation error: " << s.rotation_error << "\n";
}

Result<void> admin_status(const DaemonClient& client, const AdminOptions& o) {
    auto s = store_status(client);
    if (!s) return s.error();
    if (o.output == "json") {
        std::cout << wire::to_json(*s) << "\n";
    } else {
        print_status(*s);
    }
    return {};
}

Result<void> admin_check(const DaemonClient& client, const AdminOptions& o) {
    auto answer = call_parsed(client, "POST", "/v1/admin/check", wire::parse_check_result);
    if (!answer) return answer.error();
    const wire::CheckResult& c = answer->value;
    if (o.output == "json") {
        std::cout << answer->body << "\n";
    } else {
        for (const auto& f : c.failures) std::cout << "FAILED " << f.credential << ": " << f.reason << "\n";
        std::cout << c.opened << " of " << c.records << " records open\n";
    }
    if (!c.failures.empty()) {
        return make_error(Errc::internal, std::to_string(c.failures.size()) + " of " + std::to_string(c.records) +
                                              " records do not open");
    }
    return {};
}

// credd opens the file itself, from its own working directory: it gets an
// absolute path. Making one fails for an empty name or when the current
// directory is gone; that is the caller's to fix, so a usage error.
Result<std::string> absolute_path(std::string_view what, const std::string& file) {
    std::error_code ec;
    const auto path = std::filesystem::absolute(file, ec);
    if (ec) {
        return make_error(Errc::usage,
                          std::string(what) + " \"" + file + "\": cannot make it absolute: " + ec.message());
    }
    return path.lexically_normal().string();
}

Result<void> run_backup(const DaemonClient& client, const AdminOptions& o) {
    auto absolute = absolute_path("backup file", o.file);
    if (!absolute) return absolute.error();
    const std::string& path = *absolute;
    auto b = call_parsed(client, "POST", "/v1/admin/backup", wire::parse_backup, wire::to_json(wire::Backup{path, 0}));
    if (!b) return b.error();
    std::cerr << "Backup written to " << b->value.path << " (" << b->value.bytes << " bytes)\n";
    return {};
}

// Prints what became of each credential; credentials the store holds in a
// newer version are refused by design and do not fail the command.
Result<void> run_restore(const DaemonClient& client, const AdminOptions& o) {
    auto absolute = absolute_path("backup file", o.file);
    if (!absolute) return absolute.error();
    auto answer = call_parsed(client, "POST", "/v1/admin/restore", wire::parse_restore_result,
                              wire::to_json(wire::Backup{*absolute, 0}));
    if (!answer) return answer.error();
    const wire::RestoreResult& r = answer->value;
    if (o.output == "json") {
        std::cout << answer->body << "\n";
    } else {
        for (const auto& i : r.items) {
            std::cout << i.outcome << " " << i.credential << (i.reason.empty() ? "" : ": " + i.reason) << "\n";
        }
        std::cout << r.moved << " moved, " << r.skipped << " skipped, " << r.refused << " refused, " << r.failed
                  << " failed\n";
    }
    if (r.failed > 0) {
        return make_error(Errc::internal, std::to_string(r.failed) + " of " + std::to_string(r.items.size()) +
                                              " credentials of " + *absolute + " were not restored");
    }
    return {};
}

Result<void> run_rotate(const DaemonClient& client, const AdminOptions& o) {
    auto rotation = call_parsed(client, "POST", "/v1/admin/rotate-key", wire::parse_store_status);
    if (!rotation) return rotation.error();
    Result<wire::StoreStatus> s = std::move(rotation->value);
    std::cerr << "Rotating to data key " << s->current_key << " (" << s->records << " records)\n";
    const std::int64_t resealed_before = s->resealed;
    for (int polls = 1; !o.no_wait && s->rotating; ++polls) {
        std::this_thread::sleep_for(k_poll_interval);
        s = store_status(client);
        if (!s) return s.error();
        if (!s->rotation_error.empty()) return make_error(Errc::internal, "key rotation stopped: " + s->rotation_error);
        if (polls % k_polls_per_report == 0 && s->rotating) {
            std::cerr << "  " << s->resealed << " records re-sealed so far\n";
        }
    }
    if (o.no_wait) return {};
    s = store_status(client);  // the run may have ended before the first poll
    if (!s) return s.error();
    if (!s->rotation_error.empty()) return make_error(Errc::internal, "key rotation stopped: " + s->rotation_error);
    const std::int64_t resealed = s->resealed - resealed_before;
    if (s->left > 0) {
        // etcd: records in a refresh are left for a later run (docs/fleet.md).
        std::cerr << resealed << " records re-sealed under data key " << s->current_key << "; " << s->left
                  << " left under an older key (a refresh was in progress): run credctl admin rotate-key again\n";
        return {};
    }
    std::cerr << "Done: every record is sealed under data key " << s->current_key << " (" << resealed
              << " re-sealed)\n";
    return {};
}

Result<void> run_replace_master_key(const DaemonClient& client, const AdminOptions& o) {
    auto absolute = absolute_path("master key file", o.file);
    if (!absolute) return absolute.error();
    const std::string& path = *absolute;
    auto reply = client.call("POST", "/v1/admin/master-key", wire::to_json(wire::KeyFile{path}));
    if (!reply) return reply.error();
    std::cerr << "The store's keys are now sealed under " << path << ".\n"
              << "Point key_file (or the systemd credential credd.key) at it before credd restarts;\n"
              << "the old master key no longer opens the store.\n"
              << "On a fleet (etcd backend) install it on every host before its credd restarts;\n"
              << "running credds go on with the data keys they hold.\n";
    return {};
}

using AdminRun = Result<void> (*)(const DaemonClient&, const AdminOptions&);

struct AdminCommand {
    std::string_view name;
    std::string_view summary;
    AdminRun run;
};

// wireguard-style table: one row per admin subcommand.
constexpr std::array<AdminCommand, 6> k_admin_commands{{
    {"status", "Show store size, map and data key", admin_status},
    {"check", "Verify that every record opens (never prints secrets)", admin_check},
    {"backup", "Write a consistent compacted copy of the store to FILE", run_backup},
    {"restore", "Copy the credentials of backup FILE into the store, never over newer ones", run_restore},
    {"rotate-key", "Re-seal every record under a new data key, while serving", run_rotate},
    {"replace-master-key", "Re-seal the store's keys under the master key in FILE", run_replace_master_key},
}};

}  // namespace

void add_admin(CLI::App& sub, const Globals& g, Runner& runner) {
    auto o = std::make_shared<AdminOptions>();
    auto subs = std::make_shared<std::vector<CLI::App*>>();
    sub.require_subcommand(1);
    for (const auto& c : k_admin_commands) {
        auto* s = sub.add_subcommand(std::string(c.name), std::string(c.summary));
        s->add_option("-o,--output", o->output, "text (default) or json")->check(CLI::IsMember({"text", "json"}));
        if (c.name == "backup") s->add_option("file", o->file, "Backup file (must not exist)")->required();
        if (c.name == "restore") s->add_option("file", o->file, "Backup file written by admin backup")->required();
        if (c.name == "replace-master-key") {
            s->add_option("file", o->file, "New master key: 32 bytes, owned by credd's user, mode 0400 or 0600")
                ->required();
        }
        if (c.name == "rotate-key") s->add_flag("--no-wait", o->no_wait, "Return once the rotation has started");
        subs->push_back(s);
    }
    runner = [&g, o, subs]() -> Result<void> {
        auto client = make_client(g);
        if (!client) return client.error();
        for (std::size_t i = 0; i < subs->size(); ++i) {
            if ((*subs)[i]->parsed()) return k_admin_commands[i].run(*client, *o);
        }
        return make_error(Errc::usage, "admin: name a subcommand");
    };
}

}  // namespace credctl::cli
