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
    void listen_user_socket() {
        bind_user_socket();
        ASSERT_EQ(::listen(fd_, 1), 0);
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

TEST_F(DaemonLocator, AnAnsweringPerUserSocketComesBeforeTheSystemSocket) {
    listen_user_socket();
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

TEST_F(DaemonLocator, APerUserSocketWhereNothingAnswersFallsBackToTheSystemSocket) {
    bind_user_socket();  // a stale socket file: no listener
    const auto l = locate_daemon({"", ""});
    if (std::filesystem::exists(k_system_socket)) {
        EXPECT_EQ(l.socket, k_system_socket);
        EXPECT_EQ(l.origin, "system");
    } else {
        EXPECT_EQ(l.socket, user_socket());  // named by the "not running" message
    }
    EXPECT_TRUE(l.warnings.empty());
}

// The /tmp fallback (no $XDG_RUNTIME_DIR): /tmp/credd-UID may be anyone's.
class SharedDirSocket : public ::testing::Test {
protected:
    void SetUp() override {
        std::filesystem::create_directory(dir_);
        std::filesystem::permissions(dir_, std::filesystem::perms::owner_all);
    }
    test::TempDir tmp_;
    std::string dir_ = tmp_.file("credd-1000");
    std::string socket_ = dir_ + "/credd.sock";
};

TEST_F(SharedDirSocket, OwnDirectoryWithMode0700IsUsed) {
    EXPECT_EQ(shared_dir_socket_problem(socket_, ::getuid()), std::nullopt);
}

TEST_F(SharedDirSocket, AMissingDirectoryIsLeftToTheDaemonToCreate) {
    EXPECT_EQ(shared_dir_socket_problem(tmp_.file("none/credd.sock"), ::getuid()), std::nullopt);
}

TEST_F(SharedDirSocket, ADirectoryOfAnotherUidIsRefused) {
    const uid_t me = ::getuid() + 1;  // as seen by another caller
    EXPECT_EQ(shared_dir_socket_problem(socket_, me),
              dir_ + " belongs to uid " + std::to_string(::getuid()) + ", not to you (uid " + std::to_string(me) + ")");
}

TEST_F(SharedDirSocket, AnOpenDirectoryIsRefused) {
    std::filesystem::permissions(dir_, std::filesystem::perms::owner_all | std::filesystem::perms::group_read |
                                           std::filesystem::perms::group_exec | std::filesystem::perms::others_read |
                                           std::filesystem::perms::others_exec);
    EXPECT_EQ(shared_dir_socket_problem(socket_, ::getuid()), dir_ + " has mode 0755, not 0700");
}

TEST_F(SharedDirSocket, ASymlinkedDirectoryOrSocketIsRefused) {
    const std::string link = tmp_.file("credd-link");
    std::filesystem::create_directory_symlink(dir_, link);
    EXPECT_EQ(shared_dir_socket_problem(link + "/credd.sock", ::getuid()), link + " is a symlink");
    std::filesystem::create_symlink(tmp_.file("elsewhere.sock"), socket_);
    EXPECT_EQ(shared_dir_socket_problem(socket_, ::getuid()), socket_ + " is a symlink");
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
