#include "cli/client/daemon_locator.hpp"

#include "temp_dir.hpp"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>

namespace credctl::cli {
namespace {

class DaemonLocator : public ::testing::Test {
protected:
    void SetUp() override {
        ::unsetenv("CREDD_SOCKET");
        ::setenv("XDG_RUNTIME_DIR", dir_.path().c_str(), 1);
    }
    void TearDown() override {
        ::unsetenv("CREDD_SOCKET");
        ::unsetenv("XDG_RUNTIME_DIR");
        if (fd_ >= 0) ::close(fd_);
    }
    // A socket file at the per-user path, as a running per-user credd leaves.
    void bind_user_socket() {
        std::filesystem::create_directory(dir_.path() / "credd");
        fd_ = ::socket(AF_UNIX, SOCK_STREAM, 0);
        sockaddr_un addr{};
        addr.sun_family = AF_UNIX;
        const std::string path = user_socket();
        std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
        ASSERT_EQ(::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    }
    std::string user_socket() const { return dir_.file("credd/credd.sock"); }

    test::TempDir dir_;
    int fd_ = -1;
};

TEST_F(DaemonLocator, SocketOptionComesFirst) {
    ::setenv("CREDD_SOCKET", "/env.sock", 1);
    const auto l = locate_daemon({"/opt.sock", "/config.sock"});
    EXPECT_EQ(l.socket, "/opt.sock");
    EXPECT_EQ(l.origin, "--socket");
}

TEST_F(DaemonLocator, EnvironmentComesBeforeTheClientConfig) {
    ::setenv("CREDD_SOCKET", "/env.sock", 1);
    EXPECT_EQ(locate_daemon({"", "/config.sock"}).socket, "/env.sock");
    ::setenv("CREDD_SOCKET", "", 1);  // empty counts as unset
    EXPECT_EQ(locate_daemon({"", "/config.sock"}).origin, "client config");
}

TEST_F(DaemonLocator, AnExistingPerUserSocketComesBeforeTheSystemSocket) {
    bind_user_socket();
    const auto l = locate_daemon({"", ""});
    EXPECT_EQ(l.socket, user_socket());
    EXPECT_EQ(l.origin, "per-user");
}

TEST_F(DaemonLocator, WithoutAnySocketThePerUserPathIsNamed) {
    if (std::filesystem::exists(k_system_socket)) {
        EXPECT_EQ(locate_daemon({"", ""}).origin, "system");
    } else {
        const auto l = locate_daemon({"", ""});
        EXPECT_EQ(l.socket, user_socket());
        EXPECT_EQ(l.origin, "per-user");
    }
}

TEST_F(DaemonLocator, OwnUidIsATrustedPeer) {
    int pair[2];
    ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM, 0, pair), 0);
    EXPECT_TRUE(check_daemon_peer(pair[0], "/x.sock"));
    ::close(pair[0]);
    ::close(pair[1]);
}

TEST_F(DaemonLocator, HowToStartNamesBothModes) {
    const auto text = how_to_start_credd();
    EXPECT_NE(text.find("systemctl --user enable --now credd.socket"), std::string::npos);
    EXPECT_NE(text.find("sudo systemctl enable --now credd.socket"), std::string::npos);
    EXPECT_NE(text.find("CREDD_SOCKET"), std::string::npos);
}

}  // namespace
}  // namespace credctl::cli
