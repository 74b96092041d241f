// What the tests of `credctl admin check` (lmdb_maintenance_test,
// etcd_maintenance_test) expect of a store with one record that does not
// open: the count of records read and opened, and that one record named
// with the reason both backends give.
#pragma once

#include "daemon/store/maintenance.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>

namespace credctl::test {

inline void expect_one_unopened(const store::CheckReport& report, std::uint64_t records, const std::string& user) {
    EXPECT_EQ(report.records, records);
    EXPECT_EQ(report.opened, records - 1);
    ASSERT_EQ(report.failures.size(), 1u);
    EXPECT_EQ(report.failures[0].key.user, user);
    EXPECT_EQ(report.failures[0].reason, "record does not open (wrong key, moved or damaged)");
}

}  // namespace credctl::test
