// What credd reads from /proc about a caller (daemon/peer): the lines of
// /proc/PID/cgroup, whose paths below root's slices a delegated user names,
// and /proc/PID/stat, whose command name the process chooses. A unit found
// is always a name systemd accepts for a process unit; the start time is
// found whatever the command name holds.
//
// Input: the first byte picks the file. Even: the rest is a cgroup file.
// Odd: the rest (at most 15 bytes used, TASK_COMM_LEN) is a command name put
// into a real stat line, and then the rest alone as a whole stat text.
#include "daemon/peer/cgroup.hpp"
#include "daemon/peer/proc_stat.hpp"
#include "fuzz_check.hpp"

using namespace credctl;

namespace {

void cgroup(std::string_view text) {
    const auto unit = peer::unit_from_cgroup(text);
    if (unit) fuzz::check(peer::is_process_unit_name(*unit), "a cgroup names only process units");
    if (unit) fuzz::check(unit->find('/') == std::string::npos, "a unit is one path component");
}

void stat(std::string_view text) {
    const std::string comm(text.substr(0, 15));
    const std::string line = "1234 (" + comm + ") S 1 1234 1234 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 987654 1000 " +
                             "200 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0\n";
    fuzz::check(peer::start_time_from_stat(line) == "987654", "the start time is found whatever the command name");
    if (const auto t = peer::start_time_from_stat(text)) {
        fuzz::check(!t->empty() && t->find_first_of(" \t\n") == std::string::npos, "a start time is one field");
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    return fuzz::one_of_two(data, size, cgroup, stat);
}
