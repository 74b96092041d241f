#include "daemon/config/policy_toml.hpp"

#include "daemon/config/config_keys.hpp"
#include "daemon/peer/cgroup.hpp"

#include <grp.h>
#include <pwd.h>
#include <unistd.h>

#include <map>
#include <set>

namespace credctl::policy {
namespace {

using config::Fields;
using Roles = std::map<std::string, PermissionSet, std::less<>>;

// Largest id a selector may name; (uid_t)-1 means "no id" to the kernel.
constexpr std::int64_t k_max_id = 0xfffffffeLL;

std::string quoted(std::string_view s) {
    return "\"" + std::string(s) + "\"";
}

std::optional<gid_t> group_id(const std::string& name) {
    std::vector<char> buf(16384);
    struct group gr {};
    struct group* found = nullptr;
    if (::getgrnam_r(name.c_str(), &gr, buf.data(), buf.size(), &found) != 0 || found == nullptr) return std::nullopt;
    return found->gr_gid;
}

bool user_exists(const std::string& name) {
    std::vector<char> buf(16384);
    struct passwd pw {};
    struct passwd* found = nullptr;
    return ::getpwnam_r(name.c_str(), &pw, buf.data(), buf.size(), &found) == 0 && found != nullptr;
}

bool is_lower_hex(std::string_view s, std::size_t length) {
    return s.size() == length && s.find_first_not_of("0123456789abcdef") == std::string_view::npos;
}

Result<Roles> read_roles(const Fields& f, const toml::table* roles) {
    Roles out;
    if (roles == nullptr) return out;
    for (const auto& [name, node] : *roles) {
        const auto* t = node.as_table();
        if (t == nullptr) return f.error_at(name.str(), "must be a table");
        const Fields role = f.child(*t, name.str());
        if (auto r = role.only(daemon::keys_below("roles.NAME")); !r) return r.error();
        auto perms = role.strings("permissions");
        if (!perms) return perms.error();
        if (!*perms || (*perms)->empty()) return role.error_at("permissions", "a role needs at least one permission");
        PermissionSet set = 0;
        for (const auto& p : **perms) {
            auto parsed = parse_permission(p);
            if (!parsed) return role.error_at("permissions", "unknown permission: " + quoted(p));
            set |= *parsed;
        }
        out.emplace(std::string(name.str()), set);
    }
    return out;
}

Result<std::optional<std::uint32_t>> read_id(const Fields& f, std::string_view key) {
    auto v = f.integer(key, 0, k_max_id);
    if (!v) return v.error();
    if (!*v) return std::optional<std::uint32_t>{};
    return std::optional<std::uint32_t>{static_cast<std::uint32_t>(**v)};
}

Result<void> read_names(const Fields& c, ClientSelector& s) {
    auto user = c.string("user");
    if (!user) return user.error();
    if (*user && !user_exists(**user)) return c.error_at("user", "no such user: " + quoted(**user));
    s.user = *user;
    auto group = c.string("group");
    if (!group) return group.error();
    if (*group) {
        s.group = group_id(**group);
        if (!s.group) return c.error_at("group", "no such group: " + quoted(**group));
        s.group_name = *group;
    }
    auto exe = c.path("exe");
    if (!exe) return exe.error();
    s.exe = *exe;
    auto sha = c.string("exe_sha256");
    if (!sha) return sha.error();
    if (*sha && !is_lower_hex(**sha, 64))
        return c.error_at("exe_sha256", "not 64 lowercase hex digits: " + quoted(**sha));
    s.exe_sha256 = *sha;
    auto unit = c.string("systemd_unit");
    if (!unit) return unit.error();
    // Only a name unit_from_cgroup() can return can ever match: a slice, a
    // timer or a malformed name would be a grant that silently never applies.
    if (*unit && !peer::is_process_unit_name(**unit)) {
        return c.error_at("systemd_unit", "not the name of a service, scope or socket unit: " + quoted(**unit));
    }
    s.systemd_unit = *unit;
    return {};
}

Result<ClientSelector> read_client(const Fields& c) {
    if (auto r = c.only(daemon::keys_below("grants.clients")); !r) return r.error();
    ClientSelector s;
    auto uid = read_id(c, "uid");
    if (!uid) return uid.error();
    if (*uid) s.uid = static_cast<uid_t>(**uid);
    auto gid = read_id(c, "gid");
    if (!gid) return gid.error();
    if (*gid) s.gid = static_cast<gid_t>(**gid);
    if (auto r = read_names(c, s); !r) return r.error();
    return s;
}

Result<std::vector<ClientSelector>> read_clients(const Fields& g, const toml::table& t) {
    const auto* arr = t.get_as<toml::array>("clients");
    if (arr == nullptr || arr->empty()) return g.error_at("clients", "a grant needs a non-empty array of clients");
    std::vector<ClientSelector> out;
    for (std::size_t i = 0; i < arr->size(); ++i) {
        const auto* ct = arr->get(i)->as_table();
        if (ct == nullptr) return g.error_at("clients", "each client must be a table");
        // An empty selector would match every local process.
        if (ct->empty()) return g.error_at("clients", "client " + std::to_string(i) + " has no fields");
        auto c = read_client(g.child(*ct, "clients[" + std::to_string(i) + "]"));
        if (!c) return c.error();
        out.push_back(std::move(*c));
    }
    return out;
}

Result<std::vector<std::string>> required_strings(const Fields& g, std::string_view key) {
    auto v = g.strings(key);
    if (!v) return v.error();
    if (!*v || (*v)->empty()) return g.error_at(key, "must be a non-empty array of strings");
    return std::move(**v);
}

Result<Grant> read_grant(const Fields& g, const toml::table& t, const Roles& roles) {
    if (auto r = g.only(daemon::keys_below("grants")); !r) return r.error();
    Grant grant;
    auto name = g.string("name");
    if (!name) return name.error();
    if (!*name || (*name)->empty())
        return g.error_at("name", "every grant needs a name (it is written to the audit log)");
    grant.name = **name;
    auto role_names = required_strings(g, "roles");
    if (!role_names) return role_names.error();
    for (const auto& r : *role_names) {
        auto it = roles.find(r);
        if (it == roles.end()) return g.error_at("roles", "no such role: " + quoted(r));
        grant.permissions |= it->second;
    }
    grant.roles = std::move(*role_names);
    auto resources = required_strings(g, "resources");
    if (!resources) return resources.error();
    for (const auto& r : *resources) {
        auto p = parse_resource_pattern(r);
        if (!p)
            return g.error_at("resources", "not credentials/USER/PROVIDER (with * wildcards) or metrics: " + quoted(r));
        grant.patterns.push_back(std::move(*p));
    }
    grant.resources = std::move(*resources);
    auto clients = read_clients(g, t);
    if (!clients) return clients.error();
    grant.clients = std::move(*clients);
    return grant;
}

}  // namespace

Result<Policy> parse_policy(const Fields& root, const toml::table& table, uid_t daemon_uid) {
    auto owner = root.boolean("owner_access");
    if (!owner) return owner.error();
    auto roles_table = root.table("roles");
    if (!roles_table) return roles_table.error();
    static const toml::table k_no_roles;
    auto roles = read_roles(root.child(*roles_table ? **roles_table : k_no_roles, "roles"), *roles_table);
    if (!roles) return roles.error();

    std::vector<Grant> grants;
    if (const auto* node = table.get("grants")) {
        const auto* arr = node->as_array();
        if (arr == nullptr) return root.error_at("grants", "must be an array of tables ([[grants]])");
        std::set<std::string> names;
        for (std::size_t i = 0; i < arr->size(); ++i) {
            const auto* gt = arr->get(i)->as_table();
            if (gt == nullptr) return root.error_at("grants", "must be an array of tables ([[grants]])");
            auto g = read_grant(root.child(*gt, "grants[" + std::to_string(i) + "]"), *gt, *roles);
            if (!g) return g.error();
            if (!names.insert(g->name).second) {
                return root.child(*gt, "grants[" + std::to_string(i) + "]")
                    .error_at("name", "duplicate grant name: " + quoted(g->name));
            }
            grants.push_back(std::move(*g));
        }
    }
    return make_policy(owner->value_or(true), daemon_uid, std::move(grants));
}

}  // namespace credctl::policy
