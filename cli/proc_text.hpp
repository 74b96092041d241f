// The whole text of a small /proc file (/proc/net/tcp, tcp6), read with C
// stdio: `credctl token` may run before the C++ streams exist
// (cli/front.cpp), and a process out of descriptors gets "" rather than a
// stream in a failed state.
//
// Used by the git-credential check (commands/token_input.hpp) and the login
// listener's owner check (loopback/tcp_owner.hpp). Thread-safety: reentrant.
#pragma once

#include <array>
#include <cstddef>
#include <string>
#include <string_view>

namespace credctl::cli {

// "" when the file cannot be opened or read.
[[nodiscard]] std::string read_proc_text(const char* path);

// The first columns of a line of /proc/net/tcp or tcp6, split on blanks:
// sl, local_address, rem_address, st, tx_queue:rx_queue, tr:tm->when,
// retrnsmt, uid.
struct ProcRow {
    static constexpr std::size_t k_local = 1, k_remote = 2, k_state = 3, k_uid = 7;
    std::array<std::string_view, 8> cols;
    std::size_t n = 0;  // columns found, up to 8
};
// Takes the next line off `table` into `row`; false once `table` is empty.
// Views into `table`'s text: no copy, no stream.
[[nodiscard]] bool next_proc_row(std::string_view& table, ProcRow& row);

}  // namespace credctl::cli
