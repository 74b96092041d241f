#include "daemon/server/open_files.hpp"

#include "daemon/server/closer.hpp"

#include <gtest/gtest.h>

namespace credctl::server {
namespace {

TEST(OpenFiles, WaitingRoomIsWhatServedConnectionsAndCreddLeave) {
    // Each served connection: its socket and its caller's executable; then
    // credd's own 64 files and the closer's queue.
    EXPECT_EQ(waiting_room(20000, 1024), 20000U - 2 * 1024 - 64 - closer_bound(20000));
    EXPECT_EQ(waiting_room(1048576, 64), 1048576U - 2 * 64 - 64 - closer_bound(1048576));
}

TEST(OpenFiles, NoWaitingRoomWhenServedConnectionsDoNotFit) {
    EXPECT_EQ(waiting_room(40, 1024), 0U);
    EXPECT_EQ(waiting_room(2048, 1024), 0U);
}

}  // namespace
}  // namespace credctl::server
