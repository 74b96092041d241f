// The hash of a caller's executable, computed only when it could decide a
// request (`exe_sha256`; docs/policy.md, "The hash costs credd time";
// docs/design.md "A request in credd, from accept to answer", step 7).
//
// A request is decided without the hash first. Only when that denies it and a
// grant that pins `exe_sha256` would allow it if the hash matched
// (policy::hash_could_allow) is the executable the verified caller runs
// (PeerIdentity::exe_file) hashed, on the ExeHasher's thread, under the
// budget of its uid (or of its owner's subordinate uids, subordinate_of);
// the request's coroutine waits for the result and nothing else does. Then
// the request is decided again with the hash.
//
// Used by the API (daemon/server/api.cpp). Thread-safety: I/O thread only.
#pragma once

#include "daemon/peer/exe_hasher.hpp"
#include "daemon/peer/peer.hpp"

#include <boost/asio/awaitable.hpp>

namespace credctl::server {

// Sets `subject.exe_sha256` to the hash of `subject.exe_file`, or leaves it
// unset when the hasher refused (too large, over its account's budget,
// unreadable; the reason is logged) or there is no open file. `subject` is a
// copy of the caller, and must outlive the wait. Call it when
// policy::hash_could_allow() says the hash could decide the request.
[[nodiscard]] boost::asio::awaitable<void> with_exe_hash(peer::ExeHasher& hasher, peer::PeerIdentity& subject);

}  // namespace credctl::server
