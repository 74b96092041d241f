#include "cli/commands/status_text.hpp"

#include <gtest/gtest.h>

#include <sstream>
#include <string>

namespace credctl::cli {
namespace {

std::string render(const wire::Status& s) {
    std::ostringstream out;
    print_store(out, s);
    return out.str();
}

TEST(StatusText, AnEtcdStoreListsEveryMemberInATable) {
    wire::Status s;
    s.store = "etcd: no quorum: 1 of 3 members answer, none knows a leader (...)";
    s.store_backend = "etcd";
    s.store_state = "unreachable";
    s.store_endpoints = {{"http://127.0.0.1:2379", true, false, "etcd 3.4.23, no leader"},
                         {"http://127.0.0.1:12380", false, false, "timed out"},
                         {"https://etcd3.example:2379", false, false, "connecting: Connection refused"}};
    EXPECT_EQ(render(s),
              "store:        etcd: no quorum: 1 of 3 members answer, none knows a leader (...)\n"
              "backend:      etcd\n"
              "store state:  unreachable\n"
              "etcd members:\n"
              "  ENDPOINT                    ANSWERS  READS  DETAIL\n"
              "  http://127.0.0.1:2379       yes      no     etcd 3.4.23, no leader\n"
              "  http://127.0.0.1:12380      no       no     timed out\n"
              "  https://etcd3.example:2379  no       no     connecting: Connection refused\n");
}

TEST(StatusText, AnLmdbStoreHasNoMemberTable) {
    wire::Status s;
    s.store = "ok";
    s.store_backend = "lmdb";
    s.store_state = "readable";
    EXPECT_EQ(render(s), "store:        ok\nbackend:      lmdb\nstore state:  readable\n");
}

TEST(StatusText, FieldsAnOlderDaemonLeavesOutAreNotPrinted) {
    wire::Status s;
    s.store = "ok";
    EXPECT_EQ(render(s), "store:        ok\n");
}

}  // namespace
}  // namespace credctl::cli
