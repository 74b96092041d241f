// Structured log events: one event with a stable message id (an sd-id128,
// 32 lowercase hex digits) and KEY=value fields, for what an administrator
// or a program watching the journal must be able to find by id rather than
// by wording (`journalctl MESSAGE_ID=...`).
//
// Under systemd, when stderr is the journal's stream ($JOURNAL_STREAM names
// it, see systemd.exec(5)), the event goes to journald's native socket, so
// MESSAGE_ID= and the fields are real journal fields. Otherwise, or when the
// journal does not take the datagram, it is the usual "<N>" stderr line of
// log.hpp with the id and the fields appended as KEY=value.
//
// Never pass token material. Thread-safety: each event is one write(2) or
// one sendto(2).
#pragma once

#include "common/log/log.hpp"

#include <span>
#include <string>
#include <string_view>

namespace credctl::log {

struct Field {
    std::string_view name;   // A-Z, 0-9 and '_', not starting with '_' (journald's rule)
    std::string_view value;  // newlines are written as spaces, other controls as \xNN
};

void event(Level level, std::string_view message_id, std::string_view message, std::span<const Field> fields);

// The two forms of an event, for tests: the stderr line (with its "<N>"
// prefix and newline) and the journal's native datagram.
[[nodiscard]] std::string event_line(Level level, std::string_view message_id, std::string_view message,
                                     std::span<const Field> fields);
[[nodiscard]] std::string journal_datagram(Level level, std::string_view message_id, std::string_view message,
                                           std::span<const Field> fields);

}  // namespace credctl::log
