#include "daemon/notify/command_budget.hpp"

#include <algorithm>
#include <iterator>

namespace credctl::notify {

CommandBudget::CommandBudget(std::uint32_t burst, std::chrono::seconds refill, Clock clock)
    : burst_(std::max<std::uint32_t>(burst, 1)),
      refill_(std::max(refill, std::chrono::seconds(1))),
      clock_(std::move(clock)) {}

void CommandBudget::top_up(Bucket& b, TimePoint now) const {
    const std::chrono::duration<double> since = now - b.refilled;
    b.tokens = std::min<double>(burst_, b.tokens + since / refill_);
    b.refilled = now;
}

bool CommandBudget::take(const std::string& user) {
    const auto now = clock_();
    for (auto it = buckets_.begin(); it != buckets_.end();) {
        top_up(it->second, now);
        it = it->second.tokens >= burst_ ? buckets_.erase(it) : std::next(it);
    }
    auto it = buckets_.try_emplace(user, Bucket{static_cast<double>(burst_), now}).first;
    if (it->second.tokens < 1) return false;
    it->second.tokens -= 1;
    return true;
}

}  // namespace credctl::notify
