#include "daemon/policy/policy.hpp"

#include "common/wire/wire.hpp"

#include <algorithm>
#include <array>

namespace credctl::policy {
namespace {

// One row per name a policy may use: the permission to_string() names so,
// and the set parse_permission() reads it as.
struct PermissionName {
    std::string_view name;
    Permission permission;
    PermissionSet set;
};

constexpr std::array<PermissionName, 6> k_permission_names{{
    {"credentials:token", Permission::token, bit(Permission::token)},
    {"credentials:login", Permission::login, bit(Permission::login)},
    {"credentials:read", Permission::read, bit(Permission::read)},
    {"credentials:delete", Permission::remove, bit(Permission::remove)},
    {"credentials:*", Permission::admin, k_all_permissions},
    {"metrics:read", Permission::metrics_read, bit(Permission::metrics_read)},
}};

constexpr std::string_view k_metrics_resource = "metrics";

// `*` matches any run of characters within the segment.
bool glob(std::string_view pattern, std::string_view text) {
    std::size_t p = 0, t = 0, star = std::string_view::npos, resume = 0;
    while (t < text.size()) {
        if (p < pattern.size() && pattern[p] == '*') {
            star = p++;
            resume = t;
        } else if (p < pattern.size() && pattern[p] == text[t]) {
            ++p;
            ++t;
        } else if (star != std::string_view::npos) {
            p = star + 1;
            t = ++resume;
        } else {
            return false;
        }
    }
    while (p < pattern.size() && pattern[p] == '*') ++p;
    return p == pattern.size();
}

bool valid_segment(std::string_view s) {
    if (s == "*") return true;
    std::string plain(s);
    std::replace(plain.begin(), plain.end(), '*', 'x');
    return wire::valid_name(plain);
}

std::string exact_key(std::string_view user, std::string_view provider) {
    return std::string(user) + "/" + std::string(provider);
}

std::string describe(const peer::PeerIdentity& c) {
    return c.user ? *c.user + " (uid " + std::to_string(c.uid) + ")" : "uid " + std::to_string(c.uid);
}

// Grants whose patterns could match `resource`, in config order.
std::vector<std::uint32_t> candidates(const Policy& policy, const Resource& resource) {
    std::vector<std::uint32_t> out = policy.wildcard;
    const std::string provider = resource.provider.empty() ? "*" : resource.provider;
    auto add = [&out](const auto& index, const std::string& key) {
        if (auto it = index.find(key); it != index.end()) out.insert(out.end(), it->second.begin(), it->second.end());
    };
    add(policy.exact, exact_key(resource.user, provider));
    add(policy.by_user, resource.user);
    add(policy.by_provider, provider);
    std::sort(out.begin(), out.end());
    out.erase(std::unique(out.begin(), out.end()), out.end());
    return out;
}

bool covers(const Grant& g, Permission permission, const Resource& resource) {
    if ((g.permissions & bit(permission)) == 0) return false;
    return std::any_of(g.patterns.begin(), g.patterns.end(),
                       [&](const ResourcePattern& p) { return matches(p, resource); });
}

}  // namespace

std::string_view to_string(Permission p) {
    // Open routes need no grant, so no policy names their permission.
    if (p == Permission::any_local) return "local";
    for (const auto& row : k_permission_names) {
        if (row.permission == p) return row.name;
    }
    return "unknown";
}

std::optional<PermissionSet> parse_permission(std::string_view text) {
    for (const auto& p : k_permission_names) {
        if (p.name == text) return p.set;
    }
    return std::nullopt;
}

std::vector<std::string> permission_names(PermissionSet set) {
    const bool all = (set & k_all_permissions) == k_all_permissions;
    std::vector<std::string> out;
    for (const auto& p : k_permission_names) {
        // credentials:* stands for its parts when all of them are held.
        const bool part_of_all = (p.set & k_all_permissions) != 0 && p.set != k_all_permissions;
        if (all ? part_of_all : p.set == k_all_permissions) continue;
        if ((set & p.set) == p.set) out.emplace_back(p.name);
    }
    return out;
}

std::string to_string(const Resource& r) {
    if (r.kind == ResourceKind::metrics) return std::string(k_metrics_resource);
    return "credentials/" + r.user + "/" + (r.provider.empty() ? std::string("*") : r.provider);
}

std::optional<ResourcePattern> parse_resource_pattern(std::string_view text) {
    if (text == k_metrics_resource) return ResourcePattern{"", "", ResourceKind::metrics};
    constexpr std::string_view prefix = "credentials/";
    if (!text.starts_with(prefix)) return std::nullopt;
    const auto rest = text.substr(prefix.size());
    const auto slash = rest.find('/');
    if (slash == std::string_view::npos) return std::nullopt;
    ResourcePattern p{std::string(rest.substr(0, slash)), std::string(rest.substr(slash + 1))};
    if (!valid_segment(p.user) || !valid_segment(p.provider)) return std::nullopt;
    return p;
}

bool matches(const ResourcePattern& pattern, const Resource& resource) {
    if (pattern.kind != resource.kind) return false;
    if (pattern.kind == ResourceKind::metrics) return true;
    // Both arms string_view: a mixed ternary would build a temporary string.
    const std::string_view provider =
        resource.provider.empty() ? std::string_view("*") : std::string_view(resource.provider);
    return glob(pattern.user, resource.user) && glob(pattern.provider, provider);
}

Policy make_policy(bool owner_access, uid_t daemon_uid, std::vector<Grant> grants) {
    Policy p;
    p.owner_access = owner_access;
    p.daemon_uid = daemon_uid;
    p.grants = std::move(grants);
    auto wild = [](const std::string& segment) { return segment.find('*') != std::string::npos; };
    for (std::uint32_t i = 0; i < p.grants.size(); ++i) {
        bool fully_wild = false;
        for (const auto& pattern : p.grants[i].patterns) {
            if (pattern.kind != ResourceKind::credentials) {
                fully_wild = true;  // the few grants on metrics are looked at for every resource
            } else if (!wild(pattern.user) && !wild(pattern.provider)) {
                p.exact[exact_key(pattern.user, pattern.provider)].push_back(i);
            } else if (!wild(pattern.user)) {
                p.by_user[pattern.user].push_back(i);
            } else if (!wild(pattern.provider)) {
                p.by_provider[pattern.provider].push_back(i);
            } else {
                fully_wild = true;
            }
        }
        if (fully_wild) p.wildcard.push_back(i);
        for (const auto& c : p.grants[i].clients) p.needs_exe_hash = p.needs_exe_hash || c.exe_sha256.has_value();
    }
    return p;
}

Result<void> client_matches(const ClientSelector& c, const peer::PeerIdentity& caller) {
    auto fail = [](std::string text) -> Result<void> { return make_error(Errc::forbidden, std::move(text)); };
    auto shown = [](const std::optional<std::string>& v) { return v ? *v : std::string("not known for certain"); };
    if (c.uid && *c.uid != caller.uid) {
        return fail("uid " + std::to_string(caller.uid) + " is not " + std::to_string(*c.uid));
    }
    if (c.user && caller.user != c.user) return fail("user " + shown(caller.user) + " is not " + *c.user);
    if (c.gid && !caller.in_group(*c.gid)) return fail("not in gid " + std::to_string(*c.gid));
    if (c.group && !caller.in_group(*c.group)) return fail("not in group " + c.group_name.value_or("?"));
    if (c.exe && caller.exe != c.exe) return fail("exe " + shown(caller.exe) + " is not " + *c.exe);
    if (c.exe_sha256 && caller.exe_sha256 != c.exe_sha256) {
        return fail("exe_sha256 " + shown(caller.exe_sha256) + " is not " + *c.exe_sha256);
    }
    if (c.systemd_unit && caller.unit != c.systemd_unit) {
        return fail("systemd_unit " + shown(caller.unit) + " is not " + *c.systemd_unit);
    }
    return {};
}

Decision decide(const Policy& policy, const peer::PeerIdentity& caller, Permission permission,
                const Resource& resource) {
    if (permission == Permission::any_local) return {true, "", "open to every local caller"};
    if (!caller.verified) return {false, "", "the calling process exited before it could be identified"};
    const bool administers = permission == Permission::admin || permission == Permission::metrics_read;
    if (administers && (caller.uid == 0 || caller.uid == policy.daemon_uid)) {
        return {true, "administrator", caller.uid == 0 ? "root" : "the daemon's own uid"};
    }
    const bool owner = resource.kind == ResourceKind::credentials && caller.user && *caller.user == resource.user;
    if (owner && policy.owner_access && permission != Permission::admin) return {true, "owner", "owner"};

    std::string near_miss;
    for (std::uint32_t i : candidates(policy, resource)) {
        const Grant& g = policy.grants[i];
        if (!covers(g, permission, resource)) continue;
        std::string why;
        for (const auto& client : g.clients) {
            auto match = client_matches(client, caller);
            if (match) return {true, g.name, "grant \"" + g.name + "\""};
            if (why.empty()) why = std::move(match.error().message);
        }
        if (near_miss.empty()) near_miss = "; grant \"" + g.name + "\" covers it but " + why;
    }
    if (owner && !policy.owner_access) return {false, "", "the owner rule is switched off and no grant allows it"};
    if (!caller.user && near_miss.empty()) {
        return {false, "", "uid " + std::to_string(caller.uid) + " has no user name and no grant allows it"};
    }
    return {false, "",
            "no grant gives " + std::string(to_string(permission)) + " on " + to_string(resource) + " to " +
                describe(caller) + near_miss};
}

bool hash_could_allow(const Policy& policy, const peer::PeerIdentity& caller, Permission permission,
                      const Resource& resource) {
    if (!policy.needs_exe_hash || !caller.verified || caller.exe_sha256) return false;
    bool pinned_match = false;
    for (std::uint32_t i : candidates(policy, resource)) {
        const Grant& g = policy.grants[i];
        if (!covers(g, permission, resource)) continue;
        for (const auto& client : g.clients) {
            if (!client.exe_sha256) continue;
            ClientSelector rest = client;
            rest.exe_sha256.reset();
            pinned_match = pinned_match || client_matches(rest, caller).has_value();
        }
    }
    return pinned_match && !decide(policy, caller, permission, resource).allowed;
}

std::vector<const Grant*> grants_for(const Policy& policy, const peer::PeerIdentity& caller) {
    std::vector<const Grant*> out;
    for (const auto& g : policy.grants) {
        if (std::any_of(g.clients.begin(), g.clients.end(),
                        [&](const ClientSelector& c) { return client_matches(c, caller).has_value(); })) {
            out.push_back(&g);
        }
    }
    return out;
}

std::vector<std::string> login_exe_warnings(const Policy& policy) {
    std::vector<std::string> out;
    for (const auto& g : policy.grants) {
        if ((g.permissions & bit(Permission::login)) == 0) continue;
        for (const auto& c : g.clients) {
            if (!c.exe || !(c.exe->ends_with("/credctl") || *c.exe == "credctl")) continue;
            out.push_back("grant \"" + g.name + "\": credentials:login narrowed to exe " + *c.exe +
                          " matches no login: credctl login asks as credctl-login (credctl(1) FILES); name that");
        }
    }
    return out;
}

}  // namespace credctl::policy
