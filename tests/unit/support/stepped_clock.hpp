// A clock the test steps by hand, for the audit log and the denial limiter:
// `now` starts an hour after the steady clock's epoch and moves only when
// the test moves it. A plain value.
#pragma once

#include "daemon/audit/line_limiter.hpp"

#include <chrono>

namespace credctl::test {

struct SteppedClock {
    audit::TimePoint now{std::chrono::hours(1)};
    audit::Clock clock() {
        return [this] { return now; };
    }
};

}  // namespace credctl::test
