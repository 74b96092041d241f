#include "common/log/structured.hpp"

#include "common/text/printable.hpp"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace credctl::log {
namespace {

// systemd's native protocol socket (sd_journal_sendv(3) writes there too).
constexpr const char* k_journal_socket = "/run/systemd/journal/socket";

// Newlines as spaces, other control characters escaped (printable.hpp).
std::string one_line(std::string_view v) {
    std::string spaced(v);
    for (auto& ch : spaced) {
        if (ch == '\n' || ch == '\r') ch = ' ';
    }
    return text::printable(spaced);
}

// KEY=value for the stderr line: quoted when the value has a space or quote.
std::string pair(std::string_view name, std::string_view value) {
    std::string v = one_line(value);
    if (v.find_first_of(" \"") == std::string::npos && !v.empty()) return std::string(name) + "=" + v;
    std::string quoted = "\"";
    for (const char ch : v) {
        if (ch == '"' || ch == '\\') quoted += '\\';
        quoted += ch;
    }
    return std::string(name) + "=" + quoted + "\"";
}

// systemd.exec(5): $JOURNAL_STREAM is "DEV:INODE" of the stream stderr was
// connected to; a match means our stderr still goes to the journal.
bool stderr_is_journal() {
    const char* js = std::getenv("JOURNAL_STREAM");
    if (js == nullptr || *js == '\0') return false;
    struct stat st {};
    if (::fstat(STDERR_FILENO, &st) != 0) return false;
    unsigned long long dev = 0, ino = 0;
    if (std::sscanf(js, "%llu:%llu", &dev, &ino) != 2) return false;
    return dev == static_cast<unsigned long long>(st.st_dev) && ino == static_cast<unsigned long long>(st.st_ino);
}

bool send_to_journal(const std::string& datagram) {
    const int fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return false;
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strncpy(addr.sun_path, k_journal_socket, sizeof addr.sun_path - 1);
    const ssize_t n =
        ::sendto(fd, datagram.data(), datagram.size(), MSG_NOSIGNAL, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    ::close(fd);
    return n == static_cast<ssize_t>(datagram.size());
}

}  // namespace

std::string event_line(Level level, std::string_view message_id, std::string_view message,
                       std::span<const Field> fields) {
    std::string line = "<" + std::to_string(static_cast<int>(level)) + ">" + one_line(message);
    line += " " + pair("MESSAGE_ID", message_id);
    for (const auto& f : fields) line += " " + pair(f.name, f.value);
    return line + "\n";
}

std::string journal_datagram(Level level, std::string_view message_id, std::string_view message,
                             std::span<const Field> fields) {
    std::string d = "PRIORITY=" + std::to_string(static_cast<int>(level)) + "\n";
    d += "SYSLOG_IDENTIFIER=" + std::string(program_invocation_short_name) + "\n";
    d += "MESSAGE_ID=" + one_line(message_id) + "\n";
    d += "MESSAGE=" + one_line(message) + "\n";
    for (const auto& f : fields) d += std::string(f.name) + "=" + one_line(f.value) + "\n";
    return d;
}

void event(Level level, std::string_view message_id, std::string_view message, std::span<const Field> fields) {
    if (!enabled(level)) return;
    if (stderr_is_journal() && send_to_journal(journal_datagram(level, message_id, message, fields))) return;
    const std::string line = event_line(level, message_id, message, fields);
    [[maybe_unused]] auto n = ::write(STDERR_FILENO, line.data(), line.size());
}

}  // namespace credctl::log
