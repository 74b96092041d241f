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

TEST(StatusText, AVersionNoteSaysWhichSideIsOlder) {
    EXPECT_EQ(version_note("0.2.0", "0.2.0"), "");
    EXPECT_EQ(version_note("0.10.0", "0.9.3"),
              "note:         this credctl is 0.10.0, credd 0.9.3 is older; restart credd to run the installed one\n"
              "              (systemctl restart credd, or systemctl --user restart credd for your own)\n");
    // Numbers, not text: 0.10 is after 0.9.
    EXPECT_EQ(version_note("0.9.3", "0.10.0"),
              "note:         this credctl is 0.9.3, credd 0.10.0 is newer; use the credctl installed with it\n");
    EXPECT_EQ(version_note("1.0", "1.0.1"),
              "note:         this credctl is 1.0, credd 1.0.1 is newer; use the credctl installed with it\n");
    // Not a version credctl can compare: only the two versions.
    EXPECT_EQ(version_note("0.2.0", "0.2.0-rc1"), "note:         this credctl is 0.2.0, credd 0.2.0-rc1\n");
    EXPECT_EQ(version_note("0.2.0", ""), "note:         this credctl is 0.2.0, credd \n");
}

}  // namespace
}  // namespace credctl::cli
