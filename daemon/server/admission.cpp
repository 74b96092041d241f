#include "daemon/server/admission.hpp"

#include "daemon/server/open_files.hpp"

#include <unistd.h>

#include <algorithm>

namespace credctl::server {

Admission::Verdict Admission::arrive(uid_t uid, Account account, Ticket* ticket) {
    auto& u = uids_[account];
    if (u.served < max_per_uid_ && u.line.empty()) {
        const bool administrator =
            std::find(administrators_.begin(), administrators_.end(), uid) != administrators_.end();
        if (served_ >= max_served_ + (administrator ? k_reserve : 0)) {
            if (u.served == 0) uids_.erase(account);
            return Verdict::refuse;
        }
        ++u.served;
        ++served_;
        return Verdict::serve;
    }
    // u.served > 0 or u.line is not empty: kept. One uid waits with at most
    // as many as are served in all: its waiters cost credd a descriptor and
    // some memory each, and connecting and closing at once costs it nothing.
    if (waiting_ >= max_waiting_ || u.line.size() >= max_served_) return Verdict::refuse;
    *ticket = next_++;
    u.line.push_back(*ticket);
    ++waiting_;
    return Verdict::wait;
}

std::optional<Admission::Ticket> Admission::leave(Account account) {
    auto it = uids_.find(account);
    if (it == uids_.end() || it->second.served == 0) return std::nullopt;  // not counted: a caller's bug
    auto& u = it->second;
    if (!u.line.empty()) {
        const Ticket next = u.line.front();
        u.line.pop_front();
        --waiting_;
        return next;
    }
    --u.served;
    --served_;
    if (u.served == 0) uids_.erase(it);
    return std::nullopt;
}

void Admission::give_up(Account account, Ticket ticket) {
    auto it = uids_.find(account);
    if (it == uids_.end()) return;
    auto& line = it->second.line;
    if (auto t = std::find(line.begin(), line.end(), ticket); t != line.end()) {
        line.erase(t);
        --waiting_;
    }
    if (it->second.served == 0 && line.empty()) uids_.erase(it);
}

Error Admission::waited_too_long(uid_t uid, Account account, std::chrono::seconds waited) const {
    const std::string who = account == Account{uid}
                                ? "uid " + std::to_string(uid) + " has "
                                : "the subordinate uids of uid " + std::to_string(account & 0xffffffffU) + " (uid " +
                                      std::to_string(uid) + " among them) have ";
    return make_error(Errc::too_many_requests, who + std::to_string(max_per_uid_) +
                                                   " connections served and none ended within " +
                                                   std::to_string(waited.count()) + " s; try again later");
}

Admission admission_for(const daemon::Limits& limits, std::uint64_t open_files) {
    return Admission(limits.max_connections, limits.max_connections_per_uid,
                     waiting_room(open_files, limits.max_connections + Admission::k_reserve), {0, ::geteuid()});
}

}  // namespace credctl::server
