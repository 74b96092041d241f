#include "common/wire/policy_wire.hpp"

#include "common/text/utf8.hpp"
#include "common/wire/json_util.hpp"

namespace credctl::wire {
namespace {

using namespace detail;

json::array strings(const std::vector<std::string>& v) {
    json::array a;
    for (const auto& s : v) a.emplace_back(s);
    return a;
}

// Text of the caller's choosing (its executable's path) as valid UTF-8:
// Boost.JSON writes bytes as they are, and credctl's parser, which checks
// its input, would refuse the answer (wire.hpp, append_json_string).
json::value text_or_null(const std::optional<std::string>& s) {
    return s ? json::value(text::valid_utf8(*s)) : json::value(nullptr);
}

json::object identity_json(const Identity& i) {
    json::array groups;
    for (auto g : i.groups) groups.emplace_back(g);
    return json::object{{"pid", i.pid},
                        {"uid", i.uid},
                        {"gid", i.gid},
                        {"groups", std::move(groups)},
                        {"user", text_or_null(i.user)},
                        {"exe", text_or_null(i.exe)},
                        {"exe_sha256", opt_value(i.exe_sha256)},
                        {"systemd_unit", text_or_null(i.systemd_unit)},
                        {"verified", i.verified},
                        {"liveness", i.liveness}};
}

Identity parse_identity(const json::object& o) {
    Identity i;
    i.pid = num(o, "pid");
    i.uid = num(o, "uid");
    i.gid = num(o, "gid");
    if (const auto* g = o.if_contains("groups"); g != nullptr && g->is_array()) {
        for (const auto& el : g->as_array()) {
            if (el.is_int64()) i.groups.push_back(el.as_int64());
        }
    }
    i.user = opt_str(o, "user");
    i.exe = opt_str(o, "exe");
    i.exe_sha256 = opt_str(o, "exe_sha256");
    i.systemd_unit = opt_str(o, "systemd_unit");
    if (const auto* v = o.if_contains("verified"); v != nullptr && v->is_bool()) i.verified = v->as_bool();
    i.liveness = str(o, "liveness");
    return i;
}

const json::object& object_at(const json::object& o, std::string_view key) {
    static const json::object k_empty;
    const auto* v = o.if_contains(key);
    return v != nullptr && v->is_object() ? v->as_object() : k_empty;
}

}  // namespace

std::string to_json(const Whoami& v) {
    json::array grants;
    for (const auto& g : v.grants) {
        grants.push_back(json::object{
            {"name", g.name}, {"permissions", strings(g.permissions)}, {"resources", strings(g.resources)}});
    }
    return json::serialize(json::object{
        {"identity", identity_json(v.identity)}, {"owner_access", v.owner_access}, {"grants", std::move(grants)}});
}

Result<Whoami> parse_whoami(std::string_view body) {
    auto o = parse_object(body, "whoami");
    if (!o) return o.error();
    Whoami w;
    w.identity = parse_identity(object_at(*o, "identity"));
    if (const auto* v = o->if_contains("owner_access"); v != nullptr && v->is_bool()) w.owner_access = v->as_bool();
    w.grants = objects(*o, "grants", [](const json::object& g) {
        return GrantSummary{str(g, "name"), strings(g, "permissions"), strings(g, "resources")};
    });
    return w;
}

std::string to_json(const PolicyCheck& v) {
    json::object o{{"user", v.user}, {"provider", v.provider}, {"permission", v.permission}};
    if (v.as_uid) o["as_uid"] = *v.as_uid;
    if (v.exe) o["exe"] = *v.exe;
    if (v.systemd_unit) o["systemd_unit"] = *v.systemd_unit;
    return json::serialize(o);
}

Result<PolicyCheck> parse_policy_check(std::string_view body) {
    auto o = parse_object(body, "policy check");
    if (!o) return o.error();
    PolicyCheck c;
    c.user = str(*o, "user");
    c.provider = str(*o, "provider");
    if (auto p = opt_str(*o, "permission")) c.permission = *p;
    if (const auto* v = o->if_contains("as_uid"); v != nullptr) {
        if (!v->is_int64() || v->as_int64() < 0 || v->as_int64() > 0xfffffffeLL) {
            return make_error(Errc::bad_request, "policy check: as_uid must be a uid");
        }
        c.as_uid = v->as_int64();
    }
    c.exe = opt_str(*o, "exe");
    c.systemd_unit = opt_str(*o, "systemd_unit");
    if (c.user.empty() || c.provider.empty()) {
        return make_error(Errc::bad_request, "policy check: user and provider are required");
    }
    return c;
}

std::string to_json(const PolicyDecision& v) {
    return json::serialize(json::object{{"allowed", v.allowed},
                                        {"resource", v.resource},
                                        {"permission", v.permission},
                                        {"grant", v.grant.empty() ? json::value(nullptr) : json::value(v.grant)},
                                        {"reason", text::valid_utf8(v.reason)},
                                        {"identity", identity_json(v.identity)}});
}

Result<PolicyDecision> parse_policy_decision(std::string_view body) {
    auto o = parse_object(body, "policy decision");
    if (!o) return o.error();
    PolicyDecision d;
    if (const auto* v = o->if_contains("allowed"); v != nullptr && v->is_bool()) d.allowed = v->as_bool();
    d.resource = str(*o, "resource");
    d.permission = str(*o, "permission");
    d.grant = str(*o, "grant");
    d.reason = str(*o, "reason");
    d.identity = parse_identity(object_at(*o, "identity"));
    return d;
}

}  // namespace credctl::wire
