#include "daemon/peer/peer.hpp"

#include "common/crypto/crypto.hpp"
#include "temp_dir.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <chrono>
#include <cstddef>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <future>
#include <sstream>
#include <thread>

namespace credctl::peer {
namespace {

std::string file_sha256(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return crypto::hex(crypto::sha256(s.str()));
}

struct Pair {
    int fds[2] = {-1, -1};
    Pair() { EXPECT_EQ(::socketpair(AF_UNIX, SOCK_STREAM, 0, fds), 0); }
    ~Pair() {
        for (int fd : fds) {
            if (fd >= 0) ::close(fd);
        }
    }
};

// One byte carrying one descriptor (SCM_RIGHTS).
struct FdMessage {
    char byte = 'x';
    struct iovec iov {
        &byte, 1
    };
    alignas(struct cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
    struct msghdr msg {};
    FdMessage() {
        msg.msg_iov = &iov;
        msg.msg_iovlen = 1;
        msg.msg_control = control;
        msg.msg_controllen = sizeof control;
    }
    FdMessage(const FdMessage&) = delete;
    FdMessage& operator=(const FdMessage&) = delete;
};

TEST(Peer, IdentifiesThisProcessThroughARealSocket) {
    Pair pair;
    auto id = identify(pair.fds[0], true);
    ASSERT_TRUE(id) << id.error().message;
    EXPECT_EQ(id->pid, ::getpid());
    EXPECT_EQ(id->uid, ::getuid());
    EXPECT_EQ(id->gid, ::getgid());
    EXPECT_TRUE(id->verified);
    EXPECT_EQ(id->liveness, Liveness::pidfd);  // Linux >= 6.5
    const std::string self = std::filesystem::read_symlink("/proc/self/exe").string();
    EXPECT_EQ(id->exe, self);
    // Kept open to be hashed on demand, not hashed at accept.
    EXPECT_FALSE(id->exe_sha256);
    ASSERT_TRUE(id->exe_file);
    struct stat opened {
    }, named{};
    ASSERT_EQ(::fstat(id->exe_file->fd(), &opened), 0);
    ASSERT_EQ(::stat(self.c_str(), &named), 0);
    EXPECT_EQ(opened.st_dev, named.st_dev);
    EXPECT_EQ(opened.st_ino, named.st_ino);
}

TEST(Peer, PeerCredentialsAreTheConnectingProcesss) {
    Pair pair;
    auto cred = peer_credentials(pair.fds[0]);
    ASSERT_TRUE(cred) << cred.error().message;
    EXPECT_EQ(cred->uid, ::getuid());
    EXPECT_EQ(cred->gid, ::getgid());
    EXPECT_EQ(cred->pid, ::getpid());
    EXPECT_FALSE(peer_credentials(-1));
    EXPECT_FALSE(identify(-1, false));
}

TEST(Peer, StartTimeCheckVerifiesALiveProcess) {
    Pair pair;
    auto id = identify(pair.fds[0], false, nullptr, Liveness::start_time);
    ASSERT_TRUE(id);
    EXPECT_EQ(id->liveness, Liveness::start_time);
    EXPECT_TRUE(id->verified);
    EXPECT_TRUE(id->exe);
}

// The start time is taken when the connection is accepted, and identify()
// checks the process against it: a process with another start time (the
// pid taken by another process while the connection waited) is not the one
// that connected.
TEST(Peer, StartTimeCheckComparesWithTheStartTimeAtAccept) {
    Pair pair;
    auto cred = peer_credentials(pair.fds[0], Liveness::start_time);
    ASSERT_TRUE(cred) << cred.error().message;
    ASSERT_TRUE(cred->started);
    EXPECT_TRUE(identify(pair.fds[0], *cred, false, nullptr, Liveness::start_time).verified);

    cred->started = *cred->started + "0";  // as another process, started later under the same pid
    const auto id = identify(pair.fds[0], *cred, false, nullptr, Liveness::start_time);
    EXPECT_FALSE(id.verified);
    EXPECT_FALSE(id.exe);

    // The caller was gone at accept: no start time then, whatever runs
    // under its pid now.
    cred->started = std::nullopt;
    EXPECT_FALSE(identify(pair.fds[0], *cred, false, nullptr, Liveness::start_time).verified);
}

// In a child that a seccomp filter makes answer EPERM to
// pidfd_send_signal(2), as a unit's SystemCallFilter= can: a process that
// has exited is not alive. (A signal 0 took that EPERM for "alive".)
// Exits 0 when pidfd_alive() said alive, then dead; else the failed step.
int alive_then_dead_under_a_filter() {
    struct sock_filter filter[] = {
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_pidfd_send_signal, 0, 1),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
    };
    struct sock_fprog program {
        static_cast<unsigned short>(std::size(filter)), filter
    };
    if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) return 10;
    if (::prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &program) != 0) return 11;
    if (::syscall(SYS_pidfd_send_signal, 0, 0, nullptr, 0) == 0 || errno != EPERM) return 12;
    int gate[2];
    if (::pipe(gate) != 0) return 13;
    const pid_t grandchild = ::fork();
    if (grandchild == 0) {
        ::close(gate[1]);
        char byte = 0;
        ::_exit(::read(gate[0], &byte, 1) < 0 ? 1 : 0);
    }
    const int pidfd = static_cast<int>(::syscall(SYS_pidfd_open, grandchild, 0));
    if (pidfd < 0) return 14;
    if (!pidfd_alive(pidfd)) return 15;
    ::close(gate[1]);
    int status = 0;
    if (::waitpid(grandchild, &status, 0) != grandchild) return 16;
    return pidfd_alive(pidfd) ? 17 : 0;
}

TEST(Peer, ACallerThatExitedIsNotAliveWhereSignalsAreFiltered) {
    const pid_t child = ::fork();
    if (child == 0) ::_exit(alive_then_dead_under_a_filter());
    int status = 0;
    ASSERT_EQ(::waitpid(child, &status, 0), child);
    ASSERT_TRUE(WIFEXITED(status));
    EXPECT_EQ(WEXITSTATUS(status), 0) << "17: a process that has exited counted as alive";
}

TEST(Peer, DoesNotKeepTheExecutableOpenUnlessAsked) {
    Pair pair;
    auto id = identify(pair.fds[0], false);
    ASSERT_TRUE(id);
    EXPECT_FALSE(id->exe_sha256);
    EXPECT_FALSE(id->exe_file);
}

TEST(Peer, PeerThatExitedBeforeResolutionIsNotVerifiedAndHasNoExe) {
    int fds[2];
    ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM, 0, fds), 0);
    // The child creates a connected pair of its own and passes one end back,
    // so that the peer recorded on it is the child; then the child exits.
    int carrier[2];
    ASSERT_EQ(::socketpair(AF_UNIX, SOCK_DGRAM, 0, carrier), 0);
    const pid_t child = ::fork();
    if (child == 0) {
        int inner[2];
        if (::socketpair(AF_UNIX, SOCK_STREAM, 0, inner) != 0) ::_exit(1);
        FdMessage m;
        struct cmsghdr* cmsg = CMSG_FIRSTHDR(&m.msg);
        cmsg->cmsg_level = SOL_SOCKET;
        cmsg->cmsg_type = SCM_RIGHTS;
        cmsg->cmsg_len = CMSG_LEN(sizeof(int));
        std::memcpy(CMSG_DATA(cmsg), &inner[0], sizeof(int));
        ::_exit(::sendmsg(carrier[1], &m.msg, 0) == 1 ? 0 : 1);
    }
    FdMessage m;
    ASSERT_EQ(::recvmsg(carrier[0], &m.msg, 0), 1);
    int received = -1;
    std::memcpy(&received, CMSG_DATA(CMSG_FIRSTHDR(&m.msg)), sizeof(int));
    int status = 0;
    ASSERT_EQ(::waitpid(child, &status, 0), child);  // reaped: the pid is free
    for (Liveness check : {Liveness::pidfd, Liveness::start_time}) {
        auto id = identify(received, true, nullptr, check);
        ASSERT_TRUE(id) << id.error().message;
        EXPECT_EQ(id->liveness, check);
        EXPECT_EQ(id->pid, child);
        EXPECT_FALSE(id->verified) << to_string(check);
        EXPECT_FALSE(id->exe);
        EXPECT_FALSE(id->exe_file);
        EXPECT_FALSE(id->unit);
    }
    for (int fd : {fds[0], fds[1], carrier[0], carrier[1], received}) ::close(fd);
}

TEST(Peer, HypotheticalRootHasItsGroupsAndHashedExe) {
    ExeHashCache hashes;
    const auto id = hypothetical(0, std::string("/bin/true"), std::string("x.service"), hashes);
    EXPECT_EQ(id.user, "root");
    EXPECT_EQ(id.gid, 0U);
    EXPECT_TRUE(id.in_group(0));
    EXPECT_EQ(id.exe, "/bin/true");
    EXPECT_EQ(id.exe_sha256, file_sha256("/bin/true"));
    EXPECT_EQ(id.unit, "x.service");
    EXPECT_TRUE(id.verified);
}

// Linux 6.5 to 6.17 answer EINVAL for a peer that has exited: that must not
// be mistaken for a kernel without SO_PEERPIDFD (which falls back to the
// weaker start-time check).
TEST(Peer, OnlyEnoprotooptMeansThePidfdOptionIsUnsupported) {
    EXPECT_TRUE(pidfd_unsupported(ENOPROTOOPT));
    for (int gone : {EINVAL, ESRCH, ENODATA, EMFILE, ENOMEM, EFAULT, 0}) {
        EXPECT_FALSE(pidfd_unsupported(gone)) << std::strerror(gone);
    }
}

TEST(Peer, HypotheticalExeThatIsAFifoAnswersAtOnceUnhashed) {
    test::TempDir dir;
    const std::string fifo = dir.file("fifo");
    ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
    ExeHashCache hashes;
    auto done = std::async(std::launch::async, [&] { return hypothetical(0, fifo, std::nullopt, hashes); });
    const bool prompt = done.wait_for(std::chrono::seconds(5)) == std::future_status::ready;
    if (!prompt) {
        // Release a reader blocked in open(2), so that the test ends.
        const int writer = ::open(fifo.c_str(), O_WRONLY | O_NONBLOCK);
        if (writer >= 0) ::close(writer);
    }
    const auto id = done.get();
    EXPECT_TRUE(prompt) << "hypothetical() blocked opening a FIFO";
    EXPECT_EQ(id.exe, fifo);
    EXPECT_FALSE(id.exe_sha256);
}

TEST(Peer, HypotheticalExeThroughASymlinkOrOfADeviceIsNotHashed) {
    test::TempDir dir;
    const std::string link = dir.file("true");
    std::filesystem::create_symlink("/bin/true", link);
    ExeHashCache hashes;
    EXPECT_FALSE(hypothetical(0, link, std::nullopt, hashes).exe_sha256);
    EXPECT_FALSE(hypothetical(0, std::string("/dev/zero"), std::nullopt, hashes).exe_sha256);
    EXPECT_EQ(hashes.size(), 0U);
}

TEST(ExeHash, CacheHitsForTheSameFileAndMissesAfterItChanges) {
    test::TempDir dir;
    const std::string path = dir.write("bin", "first");
    ExeHashCache hashes;
    const int fd = ::open(path.c_str(), O_RDONLY);
    ASSERT_GE(fd, 0);
    EXPECT_EQ(hashes.digest(fd), crypto::hex(crypto::sha256("first")));
    EXPECT_EQ(hashes.digest(fd), crypto::hex(crypto::sha256("first")));
    EXPECT_EQ(hashes.size(), 1U);
    ::close(fd);
    const std::string replaced = dir.write("bin2", "second!");
    std::filesystem::rename(replaced, path);  // new inode at the same path
    const int fd2 = ::open(path.c_str(), O_RDONLY);
    EXPECT_EQ(hashes.digest(fd2), crypto::hex(crypto::sha256("second!")));
    EXPECT_EQ(hashes.size(), 2U);
    ::close(fd2);
}

// The file's owner can set its mtime back (utimensat) after rewriting it in
// place at the same size, but not its ctime: a cached digest of the old
// bytes must not answer for the new ones.
TEST(ExeHash, ARewriteWithTheMtimeSetBackMissesTheCache) {
    test::TempDir dir;
    const std::string path = dir.write("bin", "pinned!");
    struct stat before {};
    ASSERT_EQ(::stat(path.c_str(), &before), 0);
    ExeHashCache hashes;
    const int fd = ::open(path.c_str(), O_RDWR);
    ASSERT_GE(fd, 0);
    EXPECT_EQ(hashes.digest(fd), crypto::hex(crypto::sha256("pinned!")));
    std::this_thread::sleep_for(std::chrono::milliseconds(20));  // a later ctime, on any clock granularity
    ASSERT_EQ(::pwrite(fd, "hostile", 7, 0), 7);
    const std::array<struct timespec, 2> times{before.st_atim, before.st_mtim};
    ASSERT_EQ(::futimens(fd, times.data()), 0);
    struct stat after {};
    ASSERT_EQ(::fstat(fd, &after), 0);
    ASSERT_EQ(after.st_mtim.tv_sec, before.st_mtim.tv_sec);
    ASSERT_EQ(after.st_mtim.tv_nsec, before.st_mtim.tv_nsec);
    ASSERT_EQ(after.st_size, before.st_size);
    EXPECT_EQ(hashes.cached(fd), std::nullopt);
    EXPECT_EQ(hashes.digest(fd), crypto::hex(crypto::sha256("hostile")));
    ::close(fd);
}

TEST(ExeHash, FileOverTheSizeCapIsNotHashed) {
    test::TempDir dir;
    const std::string path = dir.write("big", "x");
    std::filesystem::resize_file(path, ExeHashCache::k_max_exe_bytes + 1);  // sparse
    const int fd = ::open(path.c_str(), O_RDONLY);
    ExeHashCache hashes;
    EXPECT_FALSE(hashes.digest(fd));
    EXPECT_EQ(hashes.size(), 0U);
    ::close(fd);
}

TEST(ExeHash, CachedKnowsOnlyWhatWasHashed) {
    test::TempDir dir;
    const int fd = ::open(dir.write("bin", "abc").c_str(), O_RDONLY);
    ExeHashCache hashes;
    EXPECT_FALSE(hashes.cached(fd));
    EXPECT_TRUE(hashes.digest(fd));
    EXPECT_EQ(hashes.cached(fd), crypto::hex(crypto::sha256("abc")));
    ::close(fd);
}

TEST(ExeHash, DirectoryIsNotHashed) {
    test::TempDir dir;
    const int fd = ::open(dir.path().c_str(), O_RDONLY | O_DIRECTORY);
    ExeHashCache hashes;
    EXPECT_FALSE(hashes.digest(fd));
    ::close(fd);
}

}  // namespace
}  // namespace credctl::peer
