// How credctl reads credd's answer (docs/api.md): the status and the body,
// under a size limit so that a daemon that is not ours, or a broken one,
// cannot make credctl hold an unbounded answer; and the same parsing over
// bytes already in memory, for tests and fuzzing.
//
// Used by DaemonConnection (cli/client/daemon_client.cpp). Thread-safety:
// pure functions.
#pragma once

#include "cli/client/daemon_client.hpp"
#include "common/error/error.hpp"

#include <cstddef>
#include <optional>
#include <string_view>

namespace credctl::cli {

// A credential list of a busy user fits many times over.
constexpr std::size_t k_max_reply_bytes = 1024 * 1024;

// The first answer in `bytes`, as if the daemon then closed the connection
// (a body without a length ends there). std::nullopt when the bytes end
// before the answer does. Errors: daemon_unreachable naming the parser's
// complaint (an answer over k_max_reply_bytes included).
[[nodiscard]] Result<std::optional<DaemonReply>> parse_reply(std::string_view bytes);

}  // namespace credctl::cli
