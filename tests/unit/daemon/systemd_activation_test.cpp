#include "daemon/systemd/activation.hpp"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstdlib>
#include <string>

namespace credctl::systemd {
namespace {

// Puts a socket on fd 3 for one test, as systemd would, and restores fd 3.
class SystemdActivation : public ::testing::Test {
protected:
    void SetUp() override { saved_ = ::dup(k_listen_fds_start); }
    void TearDown() override {
        if (saved_ >= 0) {
            ::dup2(saved_, k_listen_fds_start);
            ::close(saved_);
        } else {
            ::close(k_listen_fds_start);
        }
        for (const char* v : {"LISTEN_PID", "LISTEN_FDS", "LISTEN_FDNAMES"}) ::unsetenv(v);
    }
    static void put_on_fd3(int type, bool listening) {
        const int fd = ::socket(AF_UNIX, type, 0);
        ASSERT_GE(fd, 0);
        if (listening) {
            sockaddr_un addr{};
            addr.sun_family = AF_UNIX;  // autobind to an abstract address
            ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(sa_family_t)), 0);
            ASSERT_EQ(::listen(fd, 8), 0);
        }
        if (fd == k_listen_fds_start) return;
        ASSERT_EQ(::dup2(fd, k_listen_fds_start), k_listen_fds_start);
        ::close(fd);
    }
    static void set_env(const std::string& pid, const std::string& fds) {
        ::setenv("LISTEN_PID", pid.c_str(), 1);
        ::setenv("LISTEN_FDS", fds.c_str(), 1);
    }
    int saved_ = -1;
};

TEST_F(SystemdActivation, NotActivatedWithoutTheVariables) {
    auto r = take_listen_fd();
    ASSERT_TRUE(r);
    EXPECT_FALSE(*r);
}

TEST_F(SystemdActivation, AdoptsAListeningUnixSocketOnFd3AndClearsTheVariables) {
    put_on_fd3(SOCK_STREAM, true);
    set_env(std::to_string(::getpid()), "1");
    ::setenv("LISTEN_FDNAMES", "credd.socket", 1);
    auto r = take_listen_fd();
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_EQ(*r, std::optional<int>(3));
    EXPECT_EQ(std::getenv("LISTEN_PID"), nullptr);
    EXPECT_EQ(std::getenv("LISTEN_FDS"), nullptr);
    EXPECT_EQ(std::getenv("LISTEN_FDNAMES"), nullptr);
}

TEST_F(SystemdActivation, IgnoresDescriptorsMeantForAnotherProcess) {
    put_on_fd3(SOCK_STREAM, true);
    set_env("1", "1");
    auto r = take_listen_fd();
    ASSERT_TRUE(r);
    EXPECT_FALSE(*r);
    EXPECT_EQ(std::getenv("LISTEN_FDS"), nullptr);
}

TEST_F(SystemdActivation, RefusesMoreThanOneDescriptor) {
    set_env(std::to_string(::getpid()), "2");
    auto r = take_listen_fd();
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().message,
              "socket activation passed 2 descriptors; credd.socket must have exactly one ListenStream=");
}

TEST_F(SystemdActivation, RefusesASocketThatIsNotAListeningStream) {
    put_on_fd3(SOCK_DGRAM, false);
    set_env(std::to_string(::getpid()), "1");
    auto r = take_listen_fd();
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().message, "socket activation: fd 3 is not a listening Unix stream socket");
    put_on_fd3(SOCK_STREAM, false);
    set_env(std::to_string(::getpid()), "1");
    EXPECT_FALSE(take_listen_fd());
}

}  // namespace
}  // namespace credctl::systemd
