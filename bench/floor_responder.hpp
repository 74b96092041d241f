// The floor under credd's cached-token answer (docs/benchmarks.md,
// "Cached-token throughput"): the work credd must do for each answer, and
// nothing else, as plain code in bench/answer_server.hpp's epoll loop, so
// that bench/throughput.cpp prints the ratio no credd could pass on the
// machine at hand next to credd's own.
//
// Once per connection, as credd: the peer's uid, gid and pid (SO_PEERCRED),
// its login name (NSS), its executable (/proc/PID/exe) and its systemd unit
// (/proc/PID/cgroup). For each request: the request line split into user,
// provider and the token route; the owner rule (the caller's name is the
// credential's user); the cached token unsealed (XChaCha20-Poly1305, as
// credd keeps it) and its expiry checked; an audit line (time in
// milliseconds, a random request id, the caller, the resource, the
// decision) appended, and the lines of one epoll_wait written to the audit
// file together, as credd batches them; the answer built around the token,
// whose bytes are zeroed once sent. Not done: anything for a request that
// is not this one (errors, other routes, limits, timeouts).
#pragma once

#include "bench/answer_server.hpp"

#include <memory>
#include <string>

namespace bench {

// `answer` is credd's answer to the same request (head and JSON body with
// "access_token"); the token in it is sealed at start and unsealed for
// every answer. Audit lines go to `audit_file`.
[[nodiscard]] std::unique_ptr<Responder> floor_responder(const std::string& answer, const std::string& audit_file);

}  // namespace bench
