// CommandBudget: how many notify commands one user's credentials may start.
// Under the owner rule any user may store a credential of their own, with a
// refresh token the provider rejects, and ask for its token: the credential
// turns login_required and is alerted. Storing it again makes it valid, so
// the next rejection is alerted again, and each such round, as fast as the
// provider answers, would start the notify command (a process, a page to
// whoever it tells). So a user's credentials may start `burst` commands in a
// row, then one more per `refill`; the alerts over that are logged, their
// commands not run. A bucket that is whole again is dropped, so the table
// holds only users who spent some of theirs lately.
//
// Used by the Alerter. Time comes from a Clock, so that tests step it.
// Thread-safety: none; one owner, on the I/O thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <string>

namespace credctl::notify {

class CommandBudget {
public:
    using TimePoint = std::chrono::steady_clock::time_point;
    using Clock = std::function<TimePoint()>;

    CommandBudget(std::uint32_t burst, std::chrono::seconds refill, Clock clock);

    // Whether a command for a credential of `user` may start now; if so, it
    // is counted against the user's budget.
    [[nodiscard]] bool take(const std::string& user);
    // Users whose budget is not whole.
    [[nodiscard]] std::size_t tracked() const { return buckets_.size(); }
    [[nodiscard]] std::uint32_t burst() const { return burst_; }
    [[nodiscard]] std::chrono::seconds refill() const { return refill_; }

private:
    struct Bucket {
        double tokens = 0;
        TimePoint refilled{};
    };
    void top_up(Bucket& b, TimePoint now) const;

    std::uint32_t burst_;
    std::chrono::seconds refill_;
    Clock clock_;
    std::map<std::string, Bucket> buckets_;
};

}  // namespace credctl::notify
