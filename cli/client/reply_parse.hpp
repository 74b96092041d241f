// How credctl reads credd's answer (docs/api.md): the status and the body,
// under a size limit so that a daemon that is not ours, or a broken one,
// cannot make credctl hold an unbounded answer; and the same parsing over
// bytes already in memory, for tests and fuzzing.
//
// A small reader of its own rather than Beast's parser: credd writes its
// answers by hand, a status line, a few fields and a body framed by
// Content-Length, and Beast's parser cost every `credctl token` the start of
// its field table (docs/benchmarks.md, "credctl start-up"). It reads an
// HTTP/1.0 or 1.1 answer with Content-Length, or with no length and a body
// that ends when the daemon closes; it refuses what credd never sends: a
// Transfer-Encoding, folded or malformed fields, control characters,
// interim (1xx) answers, two lengths, a head over k_max_reply_head_bytes.
// What it accepts, Beast's parser reads alike (tests/fuzz/daemon_reply_fuzz.cpp
// checks that).
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
// credd's heads are a few hundred bytes; Beast's parser allowed 8 KiB.
constexpr std::size_t k_max_reply_head_bytes = 8 * 1024;

struct ReadReply {
    DaemonReply reply;
    std::size_t consumed = 0;  // the answer's bytes; a next answer starts here
};

// The first answer in `bytes`. `closed`: the daemon closed the connection
// after them, so a body without a length ends there. std::nullopt when the
// bytes end before the answer does; then `needed`, if given, is set to the
// answer's whole size when its head gives it (0 when not yet known), so
// that the caller need not parse again before that many bytes are there.
// Errors: daemon_unreachable saying what is wrong with the answer (one over
// k_max_reply_bytes included).
[[nodiscard]] Result<std::optional<ReadReply>> read_reply(std::string_view bytes, bool closed,
                                                          std::size_t* needed = nullptr);

// read_reply(bytes, true), the answer alone.
[[nodiscard]] Result<std::optional<DaemonReply>> parse_reply(std::string_view bytes);

}  // namespace credctl::cli
