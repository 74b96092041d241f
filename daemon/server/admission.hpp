// Who is served now and who waits: the connection limits of docs/api.md
// "Limits", counted by uid alone (SO_PEERCRED), before any other work is done
// for a connection. The subordinate uids of one user (subuid(5),
// peer/subordinate_uids.hpp) are counted as one uid, their account, apart
// from the user's own uid: below, "uid" is such an account.
//
// At most `max_served` connections are served at once, and at most
// `max_served_per_uid` of one uid. A connection of a uid at its limit is not
// refused: it waits, unread, in that uid's line, and takes the slot of the
// next of that uid's connections to end, in order of arrival. Waiting
// connections take no served slot, so one uid can never crowd out another;
// they only hold a descriptor, and at most `max_waiting` wait in all (the
// open files left over once every served slot has its own), and at most
// `max_served` of one uid, beyond which a connection is refused: a uid that
// connects and closes at once cannot fill the waiting room, nor credd's
// memory. So is one arriving while `max_served` are served,
// unless its uid is an administrator's (root, credd's own): k_reserve
// slots beyond `max_served` are theirs alone, so that `credctl status` and
// `credctl admin` still answer while other uids hold every slot.
//
// Used by the server (daemon/server/server.cpp), which times the waits out.
// Thread-safety: none; the I/O thread only.
#pragma once

#include "common/error/error.hpp"
#include "daemon/config/daemon_config.hpp"
#include "daemon/peer/subordinate_uids.hpp"

#include <sys/types.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <utility>
#include <vector>

namespace credctl::server {

class Admission {
public:
    using Ticket = std::uint64_t;
    // A uid, or every subordinate uid of one owner (account_of()).
    using Account = peer::Account;
    enum class Verdict { serve, wait, refuse };

    static constexpr std::size_t k_reserve = 8;

    // `administrators`: the uids the reserve is for (root and credd's uid).
    Admission(std::size_t max_served, std::size_t max_served_per_uid, std::size_t max_waiting,
              std::vector<uid_t> administrators = {})
        : max_served_(max_served),
          max_per_uid_(max_served_per_uid),
          max_waiting_(max_waiting),
          administrators_(std::move(administrators)) {}

    // The account of `uid`: itself, or when it is a subordinate uid of
    // `owner`, that owner's subordinate uids together.
    [[nodiscard]] static Account account_of(uid_t uid, std::optional<uid_t> owner = std::nullopt) {
        return peer::account_of(uid, owner);
    }

    // A new connection of `uid`, counted in `account`: served now (counted),
    // waiting (with `*ticket` set), or refused (not counted). The reserve is
    // for an administrator's own uid, not for its subordinate uids.
    [[nodiscard]] Verdict arrive(uid_t uid, Ticket* ticket) { return arrive(uid, account_of(uid), ticket); }
    [[nodiscard]] Verdict arrive(uid_t uid, Account account, Ticket* ticket);

    // A served connection of `account` ended. Its slot goes to the oldest
    // waiting connection of that account, whose ticket is returned (it is
    // served now), or is freed.
    [[nodiscard]] std::optional<Ticket> leave(Account account);

    // A waiting connection gives up (timed out, or shutdown): it is no
    // longer counted. Precondition: `ticket` waits (was not returned by
    // leave()).
    void give_up(Account account, Ticket ticket);
    // What a connection of `uid` in `account` that gave up after `waited`
    // is told (too_many_requests).
    [[nodiscard]] Error waited_too_long(uid_t uid, std::chrono::seconds waited) const {
        return waited_too_long(uid, account_of(uid), waited);
    }
    [[nodiscard]] Error waited_too_long(uid_t uid, Account account, std::chrono::seconds waited) const;

    [[nodiscard]] std::size_t served() const { return served_; }
    [[nodiscard]] std::size_t waiting() const { return waiting_; }

private:
    struct Uid {
        std::size_t served = 0;
        std::deque<Ticket> line;
    };

    const std::size_t max_served_;
    const std::size_t max_per_uid_;
    const std::size_t max_waiting_;
    const std::vector<uid_t> administrators_;
    std::map<Account, Uid> uids_;
    std::size_t served_ = 0;
    std::size_t waiting_ = 0;
    Ticket next_ = 1;
};

// credd's: its connection limits, the waiting room its open files leave
// (open_files.hpp) and the reserve for root and credd's own uid.
[[nodiscard]] Admission admission_for(const daemon::Limits& limits, std::uint64_t open_files);

}  // namespace credctl::server
