// Subordinate uids (subuid(5)): the ranges of uids that /etc/subuid gives to
// a user, who reaches them through newuidmap(1) in a user namespace of their
// own (rootless podman, `unshare --map-users`). Each is a uid of its own to
// the kernel, and so to SO_PEERCRED. Counted as themselves, they gave their
// owner the per-uid limits once per subordinate uid (65,536 times by
// default): the connections served and waiting (server/admission.hpp), so
// that one user could take every connection credd serves from every other,
// the denial lines written (audit/line_limiter.hpp), and the bytes of
// executables hashed and the hasher's turns (exe_hasher.hpp). Now the
// subordinate uids of one owner share one limit of each (for connections
// and hashing, their Account: the owner's own uid keeps its own, so that a
// container cannot starve its owner, nor root's containers root). Identity
// and policy are not changed: a subordinate uid is still itself to every
// grant and audit line.
//
// The file is read when first asked and again when it has changed (inode,
// size or times), which is looked at no more than once a second: a range
// added by `usermod --add-subuids` counts a second later at most. An owner
// given by name is looked up (NSS) when the file is read; a line that does
// not parse, or whose owner has no uid, is skipped with a warning; while an
// owner has no uid, the file is read again every k_retry_unknown (NSS, sssd
// or LDAP, may not answer yet at boot). uid 0 is no one's subordinate uid. A missing file is no range.
// A uid with a login name of its own is a user, not a subordinate uid,
// whatever range holds it (sssd's ranges of directory uids may overlap
// those of /etc/subuid).
//
// Used by the server's I/O thread (server/server.cpp), which owns one;
// account_of() by Admission and ExeHasher too. Thread-safety: none
// (account_of() is pure).
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace credctl::peer {

// What the connection limits, the hashing budget and the pace of refreshes
// count by: a uid, or every subordinate uid of one owner together, apart
// from the owner's own.
using Account = std::uint64_t;

// The account of `uid`, a subordinate uid of `owner` when one is given
// (SubordinateUids::owner(), PeerIdentity::subordinate_of).
[[nodiscard]] constexpr Account account_of(uid_t uid, std::optional<uid_t> owner = std::nullopt) {
    return owner ? (Account{1} << 32) | *owner : Account{uid};
}

// "uid 1000", or "the subordinate uids of uid 1000" (for log lines).
[[nodiscard]] std::string describe(Account account);

struct SubordinateRange {
    std::uint64_t first = 0;
    std::uint64_t count = 0;
    uid_t owner = 0;
    std::size_t listed = 0;  // its place among the ranges read: of overlapping ones, the first listed counts
};

// The uid of a login name, or std::nullopt.
using OwnerLookup = std::function<std::optional<uid_t>(const std::string&)>;

// The ranges of subuid(5) text ("OWNER:FIRST:COUNT" lines, OWNER a login
// name or a uid), sorted by their first uid. `skipped` counts the lines
// left out (malformed, or an owner without a uid), `unknown_owners` those
// of them whose owner has no uid; empty lines and "#" comments are not
// counted.
[[nodiscard]] std::vector<SubordinateRange> parse_subordinate_uids(std::string_view text, const OwnerLookup& owner,
                                                                   std::size_t* skipped = nullptr,
                                                                   std::size_t* unknown_owners = nullptr);

class SubordinateUids {
public:
    using Clock = std::chrono::steady_clock;
    static constexpr Clock::duration k_look_every = std::chrono::seconds(1);
    static constexpr std::size_t k_max_file_bytes = 16 << 20;
    static constexpr Clock::duration k_retry_unknown = std::chrono::seconds(30);

    // Whether a uid has a login name of its own (UserNames in credd).
    using IsUser = std::function<bool(uid_t)>;

    // `owner` is config::user_uid unless a test gives its own; without
    // `is_user`, no uid in a range is taken for a user.
    explicit SubordinateUids(std::string path = "/etc/subuid", OwnerLookup owner = {}, IsUser is_user = {});

    // The owner of the range that holds `uid`, as of at most k_look_every
    // before `now`; std::nullopt when `uid` is no one's subordinate uid, or
    // a user's own (`is_user`, asked only for a uid in a range).
    [[nodiscard]] std::optional<uid_t> owner(uid_t uid, Clock::time_point now = Clock::now());

private:
    void reload_if_changed(Clock::time_point now);

    std::string path_;
    OwnerLookup owner_;
    IsUser is_user_;
    std::vector<SubordinateRange> ranges_;
    std::vector<std::uint64_t> ends_before_;  // the largest end of ranges_[0..i]
    std::optional<Clock::time_point> looked_;
    struct Version {
        dev_t dev = 0;
        ino_t ino = 0;
        off_t size = -1;
        std::int64_t mtime_ns = 0;
        std::int64_t ctime_ns = 0;
        bool operator==(const Version&) const = default;
    };
    std::optional<Version> version_;  // std::nullopt: the file was not there
    std::size_t unknown_owners_ = 0;  // lines of the last read whose owner had no uid
    Clock::time_point retry_at_{};    // when to read again for them
};

}  // namespace credctl::peer
