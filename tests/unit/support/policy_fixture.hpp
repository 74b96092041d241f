// Builds a Policy from TOML text exactly as credd's config loader does, and
// callers as the peer resolver would describe them.
#pragma once

#include "common/config/toml_fields.hpp"
#include "daemon/config/policy_toml.hpp"

#include <gtest/gtest.h>

#include <optional>
#include <string>

namespace credctl::test {

inline Result<policy::Policy> parse_policy_text(const std::string& text, uid_t daemon_uid = 777) {
    toml::table root;
    try {
        root = toml::parse(text);
    } catch (const toml::parse_error& e) {
        return make_error(Errc::bad_request, std::string("fixture: ") + std::string(e.description()));
    }
    const config::Fields f(root, "credd.toml", "");
    return policy::parse_policy(f, root, daemon_uid);
}

inline policy::Policy policy_from(const std::string& text) {
    auto p = parse_policy_text(text);
    EXPECT_TRUE(p) << (p ? "" : p.error().message);
    return p ? std::move(*p) : policy::Policy{};
}

inline peer::PeerIdentity caller(std::optional<std::string> user, uid_t uid = 1000) {
    peer::PeerIdentity p;
    p.pid = 42;
    p.uid = uid;
    p.gid = uid;
    p.user = std::move(user);
    return p;
}

}  // namespace credctl::test
