// Wire types of the daemon API (docs/api.md) and their JSON encodings.
//
// Plain structs plus parse_*/to_json functions so that neither program's
// headers need Boost.JSON or Beast. Both sides use the same functions, so the
// encodings cannot drift. Bodies carrying secrets are SecretStrings, and
// every body is parsed into zeroing storage (common/secret), so no copy of a
// token is freed unzeroed.
//
// Thread-safety: pure functions on values.
#pragma once

#include "common/config/provider.hpp"
#include "common/error/error.hpp"
#include "common/secret/secret_bytes.hpp"
#include "common/secret/secret_string.hpp"

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace credctl::wire {

// PUT /v1/users/{user}/credentials/{provider}
struct StoreCredential {
    SecretBytes refresh_token;
    SecretBytes access_token;            // may be empty
    std::int64_t access_expires_at = 0;  // UTC epoch seconds; 0 when unknown
    std::string scope;
    std::string issuer;
    std::string subject;
};

// GET /v1/users/{user}/credentials/{provider}/token
struct AccessToken {
    SecretBytes access_token;
    std::string token_type = "Bearer";
    std::int64_t expires_at = 0;  // UTC epoch seconds
    std::string scope;
};

// One entry of GET /v1/users/{user}/credentials. Never holds a secret.
struct CredentialInfo {
    std::string user;
    std::string provider;
    std::string issuer;
    std::string subject;
    std::string scope;
    std::int64_t created_at = 0;
    std::int64_t updated_at = 0;
    std::int64_t access_expires_at = 0;
    std::string state;  // "valid" | "refreshing" | "login_required" | "provider_unavailable"
    // provider_unavailable: when refreshing first failed for a transient
    // reason; the next token request that needs a refresh tries again.
    std::int64_t unavailable_since = 0;
};

// One etcd member as GET /v1/status found it (docs/fleet.md "When etcd is
// unavailable").
struct StoreEndpoint {
    std::string url;
    bool answers = false;  // it answered a status request within the probe's time
    bool reads = false;    // a read through it succeeded (it has a quorum)
    std::string detail;    // "etcd 3.4.23, leader", or why it did not answer
};

struct Status {
    std::string version;
    std::int64_t uptime_seconds = 0;
    std::int64_t credentials = 0;
    std::int64_t connections = 0;
    std::string store;  // "ok" or the reason it is not
    // The caller may administer credd (root, credd's user): it may read
    // every user's credentials (GET /v1/credentials).
    bool administrator = false;
    std::string store_backend{};  // "lmdb" or "etcd"
    // "readable" (a read succeeded), "unreachable" (etcd: no member served a
    // read in time; `store` says why) or "failing" (the store answered
    // with an error; `store` says which).
    std::string store_state{};
    std::vector<StoreEndpoint> store_endpoints{};  // etcd: every configured member, in order
};

// DELETE /v1/users/{user}/credentials/{provider}: what happened at the
// provider besides forgetting the credential locally.
struct Removal {
    bool revoked = false;          // the provider confirmed the RFC 7009 revocation
    std::string revocation_error;  // why not, when revocation was asked for
};

// RFC 9457 problem document with our stable `code`.
struct Problem {
    Errc code = Errc::internal;
    std::string detail;
};

[[nodiscard]] SecretString to_json(const StoreCredential& v);
[[nodiscard]] Result<StoreCredential> parse_store_credential(std::string_view body);

[[nodiscard]] SecretString to_json(const AccessToken& v);
[[nodiscard]] Result<AccessToken> parse_access_token(std::string_view body);

[[nodiscard]] std::string to_json(const std::vector<CredentialInfo>& v);
[[nodiscard]] Result<std::vector<CredentialInfo>> parse_credential_list(std::string_view body);

[[nodiscard]] std::string to_json(const Status& v);
[[nodiscard]] Result<Status> parse_status(std::string_view body);

// Public provider settings only (no secret file path either).
[[nodiscard]] std::string to_json(const std::vector<ProviderConfig>& v);
[[nodiscard]] Result<std::vector<ProviderConfig>> parse_providers(std::string_view body);

[[nodiscard]] std::string to_json(const Removal& v);
[[nodiscard]] Result<Removal> parse_removal(std::string_view body);

[[nodiscard]] std::string to_json(const Problem& v);
// A problem document back into an Error; a body that is not one gives an
// internal error naming the HTTP status.
[[nodiscard]] Error parse_problem(int http_status, std::string_view body);

// A user or provider name that may appear in a resource path.
[[nodiscard]] bool valid_name(std::string_view name);

// The {user} of a path that means "whoever asks": credd puts the caller's
// login name, as it sees the caller's uid, in its place (docs/api.md). Not a
// valid_name(), so it names no user of its own. credctl sends it when no
// --user is given, and so needs no name lookup of its own (NSS: files, but
// on many hosts sssd or LDAP) and no agreement between its /etc/passwd and
// credd's (a container's, a user namespace's).
inline constexpr std::string_view k_caller_user = "~";

// Appends `s` to `out` as a JSON string, quotes included: always valid UTF-8
// and valid JSON, whatever the bytes of `s`. Escaped as
// boost::json::serialize escapes text (the C0 controls, '"' and '\\'), and
// also DEL and the C1 controls (U+0080-U+009F, as \u0080), which a terminal
// showing the line may act on. Each byte of no valid UTF-8 sequence (RFC
// 3629) becomes U+FFFD, the replacement character, as Go's encoding/json
// writes it: Boost.JSON would pass it on, and a reader that checks its input
// (Boost.JSON's, Python's, serde_json) would refuse the whole line. An
// executable's path, which its caller chooses, is such text (the audit
// line). For the few lines built field by field on the hot path (the token
// answer, the audit line), where a json::object and a serialized copy per
// field cost allocations.
void append_json_string(std::string& out, std::string_view s);
void append_json_string(SecretString& out, std::string_view s);

}  // namespace credctl::wire
