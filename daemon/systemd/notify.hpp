// The sd_notify(3) protocol without libsystemd: datagrams of "KEY=VALUE"
// lines to the Unix socket named by $NOTIFY_SOCKET (a path, or "@name" in
// the abstract namespace), and the watchdog interval from $WATCHDOG_USEC
// when $WATCHDOG_PID is ours. With no NOTIFY_SOCKET every call is a no-op,
// so credd runs the same by hand, under systemd, or under a test harness.
//
// credd sends READY=1 once it listens, RELOADING=1 then READY=1 around a
// reload, STOPPING=1 when it starts draining, EXTEND_TIMEOUT_USEC while the
// drain waits for a refresh that may outlast TimeoutStopSec=, and
// WATCHDOG=1 from its I/O loop at half the interval (so a wedged loop is
// restarted by systemd).
//
// Used by daemon/server. Thread-safety: send() may be called from any thread.
#pragma once

#include "common/error/error.hpp"

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace credctl::systemd {

class Notifier {
public:
    // Reads NOTIFY_SOCKET, WATCHDOG_USEC and WATCHDOG_PID once.
    [[nodiscard]] static Notifier from_environment();

    [[nodiscard]] bool enabled() const { return !socket_.empty(); }
    // Errors: the datagram could not be sent (naming the socket).
    [[nodiscard]] Result<void> send(std::string_view state) const;

    // How often to send WATCHDOG=1, or std::nullopt when no watchdog is set.
    [[nodiscard]] std::optional<std::chrono::microseconds> watchdog_period() const { return watchdog_period_; }

    // "READY=1\nSTATUS=..." and friends; errors are logged, never fatal: a
    // service manager that stopped listening must not stop credd.
    void ready(std::string_view status) const;
    void reloading() const;
    void stopping() const;
    // EXTEND_TIMEOUT_USEC: the stop may take `by` from now, even past
    // TimeoutStopSec= (systemd 236 and later).
    void extend_stop(std::chrono::seconds by) const;
    void watchdog() const;

private:
    std::string socket_;
    std::optional<std::chrono::microseconds> watchdog_period_;
};

}  // namespace credctl::systemd
