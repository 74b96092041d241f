#include "daemon/systemd/notify.hpp"

#include "temp_dir.hpp"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <string>

namespace credctl::systemd {
namespace {

// A datagram socket standing in for the service manager's.
class NotifySocket {
public:
    explicit NotifySocket(const std::string& path, bool abstract = false) {
        fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        sockaddr_un addr{};
        addr.sun_family = AF_UNIX;
        std::memcpy(addr.sun_path + (abstract ? 1 : 0), path.data(), path.size());
        const auto len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + path.size() + 1);
        EXPECT_EQ(::bind(fd_, reinterpret_cast<sockaddr*>(&addr), len), 0) << std::strerror(errno);
        const timeval tv{1, 0};
        ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    }
    ~NotifySocket() { ::close(fd_); }
    NotifySocket(const NotifySocket&) = delete;
    NotifySocket& operator=(const NotifySocket&) = delete;

    std::string receive() const {
        char buf[4096];
        const ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
        return n > 0 ? std::string(buf, static_cast<std::size_t>(n)) : std::string();
    }

private:
    int fd_ = -1;
};

class SystemdNotify : public ::testing::Test {
protected:
    void TearDown() override {
        ::unsetenv("NOTIFY_SOCKET");
        ::unsetenv("WATCHDOG_USEC");
        ::unsetenv("WATCHDOG_PID");
    }
    test::TempDir dir_;
};

TEST_F(SystemdNotify, WithoutNotifySocketEverythingIsANoOp) {
    ::unsetenv("NOTIFY_SOCKET");
    const auto n = Notifier::from_environment();
    EXPECT_FALSE(n.enabled());
    EXPECT_TRUE(n.send("READY=1"));
    EXPECT_FALSE(n.watchdog_period());
}

TEST_F(SystemdNotify, SendsStatesInOrderToAPathSocket) {
    const auto path = dir_.file("notify");
    NotifySocket s(path);
    ::setenv("NOTIFY_SOCKET", path.c_str(), 1);
    const auto n = Notifier::from_environment();
    ASSERT_TRUE(n.enabled());
    n.ready("listening on /run/credd/credd.sock");
    n.watchdog();
    n.reloading();
    n.stopping();
    EXPECT_EQ(s.receive(), "READY=1\nSTATUS=listening on /run/credd/credd.sock");
    EXPECT_EQ(s.receive(), "WATCHDOG=1");
    EXPECT_EQ(s.receive().rfind("RELOADING=1\nMONOTONIC_USEC=", 0), 0U);
    EXPECT_EQ(s.receive(), "STOPPING=1");
}

TEST_F(SystemdNotify, ReachesAnAbstractSocket) {
    const std::string name = "credctl-unit-notify-" + std::to_string(::getpid());
    NotifySocket s(name, true);
    ::setenv("NOTIFY_SOCKET", ("@" + name).c_str(), 1);
    EXPECT_TRUE(Notifier::from_environment().send("READY=1"));
    EXPECT_EQ(s.receive(), "READY=1");
}

TEST_F(SystemdNotify, AMissingSocketIsAnErrorNamingIt) {
    const auto path = dir_.file("nobody-listens");
    ::setenv("NOTIFY_SOCKET", path.c_str(), 1);
    auto r = Notifier::from_environment().send("READY=1");
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().message.rfind("cannot notify " + path + ": ", 0), 0U) << r.error().message;
}

TEST_F(SystemdNotify, WatchdogPeriodIsHalfTheIntervalForOurPidOnly) {
    ::setenv("WATCHDOG_USEC", "30000000", 1);
    ::unsetenv("WATCHDOG_PID");
    EXPECT_EQ(Notifier::from_environment().watchdog_period(), std::chrono::microseconds(15000000));
    ::setenv("WATCHDOG_PID", std::to_string(::getpid()).c_str(), 1);
    EXPECT_EQ(Notifier::from_environment().watchdog_period(), std::chrono::microseconds(15000000));
    ::setenv("WATCHDOG_PID", "1", 1);
    EXPECT_FALSE(Notifier::from_environment().watchdog_period());
    ::setenv("WATCHDOG_PID", std::to_string(::getpid()).c_str(), 1);
    ::setenv("WATCHDOG_USEC", "bogus", 1);
    EXPECT_FALSE(Notifier::from_environment().watchdog_period());
}

}  // namespace
}  // namespace credctl::systemd
