// Reads roles and grants (docs/policy.md, credctl.toml(5)) from the daemon's
// TOML config into a Policy. Every error names file, line, key and bad value:
// `credd.toml:14: grants[2].clients[0].exe: not an absolute path: "sync"`. User
// and group names are resolved here, once; a name that does not exist is an
// error, not a selector that silently never matches.
//
// Used by the daemon's config loader; it lives with it, apart from the policy
// it builds, so that policy/ (deciding) never depends on config/ (parsing).
// Thread-safety: reentrant.
#pragma once

#include "common/config/toml_fields.hpp"
#include "daemon/policy/policy.hpp"

namespace credctl::policy {

// `root` is the whole config file; reads `owner_access`, `[roles.*]` and
// `[[grants]]` from it and ignores the other keys.
[[nodiscard]] Result<Policy> parse_policy(const config::Fields& root, const toml::table& table, uid_t daemon_uid);

}  // namespace credctl::policy
