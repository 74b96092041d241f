#include "daemon/peer/user_names.hpp"

#include "common/config/local_user.hpp"

#include <utility>

namespace credctl::peer {

UserNames::UserNames() : UserNames([](uid_t uid) { return config::user_name(uid); }) {}

UserNames::UserNames(Lookup lookup) : lookup_(std::move(lookup)) {}

std::optional<std::string> UserNames::name(uid_t uid, Clock::time_point now) {
    if (auto it = entries_.find(uid); it != entries_.end()) {
        if (now - it->second.looked_up < k_keep) return it->second.name;
        entries_.erase(it);
    }
    auto found = lookup_(uid);
    // Full of uids that each connected within a second: start again rather
    // than grow without bound (every uid on the host can connect).
    if (entries_.size() >= k_capacity) entries_.clear();
    entries_.emplace(uid, Entry{found, now});
    return found;
}

void UserNames::clear() {
    entries_.clear();
}

}  // namespace credctl::peer
