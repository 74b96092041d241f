#include "daemon/server/closer.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <array>
#include <cerrno>
#include <vector>

namespace credctl::server {
namespace {

struct Pair {
    int ours = -1;    // handed to the closer
    int theirs = -1;  // the peer, which sees end of file once ours is closed
};

Pair socket_pair() {
    std::array<int, 2> fds{};
    EXPECT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds.data()), 0);
    return {fds[0], fds[1]};
}

bool is_open(int fd) {
    return ::fcntl(fd, F_GETFD) != -1 || errno != EBADF;
}

// Whether the peer reads end of file within `timeout_ms`.
bool sees_end_of_file(int fd, int timeout_ms) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, timeout_ms) != 1) return false;
    char c = 0;
    return ::read(fd, &c, 1) == 0;
}

TEST(Closer, ClosesWhatItIsGivenOnItsOwnThread) {
    Closer closer;
    std::vector<Pair> pairs(50);
    for (auto& p : pairs) p = socket_pair();
    for (const auto& p : pairs) closer.close(p.ours);
    for (const auto& p : pairs) {
        EXPECT_TRUE(sees_end_of_file(p.theirs, 5000));
        ::close(p.theirs);
    }
}

// After a batch the closer pauses to let the next descriptors gather, and
// is not waiting to be woken then: what arrives in that pause is closed too.
TEST(Closer, WhatArrivesRightAfterABatchIsClosedToo) {
    Closer closer;
    for (int round = 0; round < 20; ++round) {
        const Pair first = socket_pair();
        const Pair next = socket_pair();
        closer.close(first.ours);
        ASSERT_TRUE(sees_end_of_file(first.theirs, 5000));  // its batch is done
        closer.close(next.ours);
        EXPECT_TRUE(sees_end_of_file(next.theirs, 5000)) << "round " << round;
        ::close(first.theirs);
        ::close(next.theirs);
    }
}

TEST(Closer, DestructionClosesEverythingStillQueued) {
    std::vector<Pair> pairs(500);
    for (auto& p : pairs) p = socket_pair();
    {
        Closer closer;
        for (const auto& p : pairs) closer.close(p.ours);
    }
    for (const auto& p : pairs) {
        EXPECT_FALSE(is_open(p.ours));
        EXPECT_TRUE(sees_end_of_file(p.theirs, 0));
        ::close(p.theirs);
    }
}

TEST(Closer, BeyondItsBoundItClosesOnTheCallingThread) {
    Closer closer(0);  // nothing may wait
    const Pair p = socket_pair();
    closer.close(p.ours);
    EXPECT_FALSE(is_open(p.ours));  // closed before close() returned
    EXPECT_TRUE(sees_end_of_file(p.theirs, 0));
    ::close(p.theirs);
}

}  // namespace
}  // namespace credctl::server

namespace credctl::server {
namespace {

TEST(Closer, ItsBoundIsAnEighthOfTheOpenFileLimitWithinLimits) {
    EXPECT_EQ(closer_bound(1024), 128U);
    EXPECT_EQ(closer_bound(20000), 2500U);
    EXPECT_EQ(closer_bound(64), 16U);            // never below 16
    EXPECT_EQ(closer_bound(524288), 4096U);      // never above 4096
    EXPECT_EQ(closer_bound(UINT64_MAX), 4096U);  // no limit at all
}

}  // namespace
}  // namespace credctl::server
