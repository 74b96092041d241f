// The login names of callers' uids, looked up through NSS (getpwuid_r) and
// kept for a second. Without it every connection read /etc/passwd (open,
// fstat, read, parse, close: a third of identifying a caller, and the
// largest part of 1000 callers connecting at once, docs/benchmarks.md
// "Expiry stampede"). nscd keeps a name for ten minutes; a uid renamed or
// reassigned by root is seen here a second later at most, and at once
// after a reload (clear()). A uid without a name is kept as such for a
// second too: looked up on every connection, its misses went to NSS each
// time, which with LDAP or sssd is a round trip on the I/O thread that every
// other caller waits behind, for any uid that connects in a loop.
//
// Used by identify() (peer.hpp) for the server's I/O thread, which owns one.
// Thread-safety: none; one per thread.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <unordered_map>

namespace credctl::peer {

class UserNames {
public:
    using Clock = std::chrono::steady_clock;
    using Lookup = std::function<std::optional<std::string>(uid_t)>;

    static constexpr Clock::duration k_keep = std::chrono::seconds(1);
    static constexpr std::size_t k_capacity = 1024;  // uids remembered at once

    // `lookup` is config::user_name unless a test gives its own.
    UserNames();
    explicit UserNames(Lookup lookup);

    // The login name of `uid` as of at most k_keep before `now`.
    [[nodiscard]] std::optional<std::string> name(uid_t uid, Clock::time_point now = Clock::now());
    // Forgets every name (a reload: a change of users shows at once).
    void clear();

private:
    struct Entry {
        std::optional<std::string> name;  // std::nullopt: the uid has none
        Clock::time_point looked_up;
    };
    Lookup lookup_;
    std::unordered_map<uid_t, Entry> entries_;
};

}  // namespace credctl::peer
