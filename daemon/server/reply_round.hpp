// How credd writes its answers (docs/design.md "A request in credd, from
// accept to answer", steps 10 and 11): each at once on the session's
// non-blocking socket, the rest a slow reader leaves under the idle
// timeout; and those start() made ready, in rounds after their audit lines.
//
// An answer start() made ready (a cached token, a refusal) may go out only
// once its audit line is written, and a batch of lines is written by a
// flush posted to the I/O loop. A session that waited one turn for that
// flush, wrote its answer, then waited another turn for the other sessions
// to go first (read at once, its client's next request is rarely there
// yet) would leave the loop twice per request. Here it leaves it once: it
// hands its answer to the round and waits. The round, posted once for every
// answer handed to it before it runs, writes the lines still queued, then
// each answer, and then resumes each session behind whatever else the loop
// holds (docs/benchmarks.md, "An answer written with its audit batch").
//
// Internal to the server (server.cpp). Thread-safety: the I/O thread's.
#pragma once

#include "daemon/audit/audit.hpp"
#include "daemon/server/api.hpp"
#include "daemon/server/session_state.hpp"

#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <utility>
#include <vector>

namespace credctl::server {

// Writes `r` on `stream` at once. What a slow reader leaves is for the
// awaitable returned, which writes it under `idle_timeout`. `r` by
// reference, and stays where it is until that awaitable is done: g++ 12 may
// destroy a by-value temporary twice (GCC PR 99576).
[[nodiscard]] std::optional<boost::asio::awaitable<void>> reply(Stream& stream, ApiReply& r, bool keep_alive,
                                                                std::chrono::seconds idle_timeout);

// One answer handed to the round, owned by its session's frame until the
// session is resumed.
struct QueuedReply {
    QueuedReply(Stream& s, ApiReply& r, bool keep, std::shared_ptr<audit::AuditLog> log, std::uint64_t line)
        : stream(&s), reply(&r), keep_alive(keep), audit(std::move(log)), audit_line(line) {}

    Stream* stream;
    ApiReply* reply;
    bool keep_alive;  // as asked; the round clears it if the server stops meanwhile
    std::shared_ptr<audit::AuditLog> audit;
    std::uint64_t audit_line;
    // Set by the round: what a slow reader left (reply()).
    std::optional<boost::asio::awaitable<void>> rest;
    // Whether the round wrote other answers too: their sessions run, or are
    // resumed, between this answer and its own session's resumption, which
    // gives its client time to send its next request.
    bool others_in_round = false;
    // Emplaced, not assigned: Boost 1.81's move assignment of an
    // any_completion_handler wraps it in itself without end.
    std::optional<boost::asio::any_completion_handler<void()>> resume;
};

class ReplyRound {
public:
    // `stopping` is the server's flag: an answer written after a stop began
    // says the connection closes.
    ReplyRound(boost::asio::io_context& io, const bool& stopping, std::chrono::seconds idle_timeout)
        : io_(io), stopping_(stopping), idle_timeout_(idle_timeout) {}
    ReplyRound(const ReplyRound&) = delete;
    ReplyRound& operator=(const ReplyRound&) = delete;

    // Queues `q` for the next round and completes once its answer is
    // written (all of it, or what the socket took: `q.rest`) and the round's
    // other answers too. `q` stays where it is until then.
    [[nodiscard]] boost::asio::awaitable<void> send(QueuedReply& q);

private:
    void run();

    boost::asio::io_context& io_;
    const bool& stopping_;
    const std::chrono::seconds idle_timeout_;
    std::vector<QueuedReply*> queued_;
    std::vector<QueuedReply*> running_;  // kept for its capacity
    bool posted_ = false;
};

}  // namespace credctl::server
