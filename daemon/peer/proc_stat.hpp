// The start time of a process from the text of /proc/<pid>/stat (proc(5)):
// field 22, counted after the parenthesised command name, which the process
// chooses (prctl PR_SET_NAME, the executable's name) and which may hold
// spaces, parentheses and newlines. Compared before and after identifying a
// caller where no pidfd pins it (daemon/peer/peer.hpp), so a pid reused in
// between is not taken for the caller.
//
// Thread-safety: pure function.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace credctl::peer {

// Field 22 (starttime, in clock ticks since boot) as its decimal text, or
// std::nullopt when the text has no ')' or fewer than 22 fields after it.
// Never throws, whatever the text.
[[nodiscard]] std::optional<std::string> start_time_from_stat(std::string_view proc_stat);

}  // namespace credctl::peer
