#include "daemon/peer/subordinate_uids.hpp"

#include "common/config/local_user.hpp"
#include "common/log/log.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <memory>
#include <utility>

namespace credctl::peer {

std::string describe(Account account) {
    const std::string uid = "uid " + std::to_string(account & 0xffffffffU);
    return (account >> 32) != 0 ? "the subordinate uids of " + uid : uid;
}
namespace {

std::optional<std::uint64_t> number(std::string_view s) {
    std::uint64_t v = 0;
    const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (s.empty() || ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
    return v;
}

// One line, "OWNER:FIRST:COUNT"; std::nullopt when it is not one.
std::optional<SubordinateRange> parse_line(std::string_view line, const OwnerLookup& owner, bool* unknown_owner) {
    const auto a = line.find(':');
    const auto b = a == std::string_view::npos ? a : line.find(':', a + 1);
    if (b == std::string_view::npos) return std::nullopt;
    const auto name = line.substr(0, a);
    const auto first = number(line.substr(a + 1, b - a - 1));
    const auto count = number(line.substr(b + 1));
    if (name.empty() || !first || !count || *count == 0) return std::nullopt;
    // A uid fits in 32 bits; (uid_t)-1 is no uid.
    if (*first > 0xfffffffeULL || *count > 0xffffffffULL - *first) return std::nullopt;
    std::optional<uid_t> uid;
    if (const auto n = number(name)) {
        if (*n <= 0xfffffffeULL) uid = static_cast<uid_t>(*n);
    } else {
        uid = owner(std::string(name));
        *unknown_owner = !uid;
    }
    if (!uid) return std::nullopt;
    return SubordinateRange{*first, *count, *uid};
}

std::int64_t nanoseconds(const timespec& t) {
    return static_cast<std::int64_t>(t.tv_sec) * 1'000'000'000 + t.tv_nsec;
}

}  // namespace

std::vector<SubordinateRange> parse_subordinate_uids(std::string_view text, const OwnerLookup& owner,
                                                     std::size_t* skipped, std::size_t* unknown_owners) {
    std::vector<SubordinateRange> ranges;
    std::size_t left_out = 0;
    std::size_t unknown_of = 0;
    while (!text.empty()) {
        const auto nl = text.find('\n');
        std::string_view line = text.substr(0, nl);
        text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        if (line.empty() || line.front() == '#') continue;
        bool unknown = false;
        if (auto r = parse_line(line, owner, &unknown)) {
            r->listed = ranges.size();
            ranges.push_back(*r);
        } else {
            ++left_out;
            unknown_of += unknown ? 1 : 0;
        }
    }
    std::stable_sort(ranges.begin(), ranges.end(), [](const auto& x, const auto& y) { return x.first < y.first; });
    if (skipped != nullptr) *skipped = left_out;
    if (unknown_owners != nullptr) *unknown_owners = unknown_of;
    return ranges;
}

SubordinateUids::SubordinateUids(std::string path, OwnerLookup owner, IsUser is_user)
    : path_(std::move(path)),
      owner_(owner ? std::move(owner) : OwnerLookup([](const std::string& n) { return config::user_uid(n); })),
      is_user_(std::move(is_user)) {}

std::optional<uid_t> SubordinateUids::owner(uid_t uid, Clock::time_point now) {
    if (!looked_ || now - *looked_ >= k_look_every) {
        looked_ = now;
        reload_if_changed(now);
    }
    if (uid == 0 || ranges_.empty()) return std::nullopt;
    // The last range starting at or below uid, and the ones before it that
    // reach that far (ranges may overlap: the first listed wins).
    auto it = std::upper_bound(ranges_.begin(), ranges_.end(), std::uint64_t{uid},
                               [](std::uint64_t u, const SubordinateRange& r) { return u < r.first; });
    const SubordinateRange* found = nullptr;
    for (auto i = static_cast<std::size_t>(it - ranges_.begin()); i-- > 0 && ends_before_[i] > uid;) {
        const auto& r = ranges_[i];
        if (uid < r.first + r.count && (found == nullptr || r.listed < found->listed)) found = &r;
    }
    if (found == nullptr || (is_user_ && is_user_(uid))) return std::nullopt;
    return found->owner;
}

void SubordinateUids::reload_if_changed(Clock::time_point now) {
    struct stat st {};
    std::optional<Version> now_version;
    if (::stat(path_.c_str(), &st) == 0) {
        now_version = Version{st.st_dev, st.st_ino, st.st_size, nanoseconds(st.st_mtim), nanoseconds(st.st_ctim)};
    } else if (errno != ENOENT) {
        log::warning("cannot look at " + path_ + ": " + std::strerror(errno) + "; its ranges are kept as they were");
        return;
    }
    // Read again now and then while an owner was unknown: NSS (sssd, LDAP)
    // may not have answered yet at boot.
    const bool retry = unknown_owners_ > 0 && now >= retry_at_;
    if (now_version == version_ && !retry) return;
    std::string text;
    if (now_version) {
        if (now_version->size > static_cast<off_t>(k_max_file_bytes)) {
            log::warning(path_ + " is over " + std::to_string(k_max_file_bytes >> 20) +
                         " MiB; its ranges are kept as they were");
            return;
        }
        const std::unique_ptr<std::FILE, int (*)(std::FILE*)> f(std::fopen(path_.c_str(), "re"), &std::fclose);
        if (!f) {
            log::warning("cannot read " + path_ + ": " + std::strerror(errno) + "; its ranges are kept as they were");
            return;
        }
        char buf[8192];
        std::size_t n = 0;
        while ((n = std::fread(buf, 1, sizeof buf, f.get())) > 0 && text.size() <= k_max_file_bytes)
            text.append(buf, n);
    }
    std::size_t skipped = 0;
    std::size_t unknown = 0;
    ranges_ = parse_subordinate_uids(text, owner_, &skipped, &unknown);
    ends_before_.clear();
    std::uint64_t end = 0;
    for (const auto& r : ranges_) ends_before_.push_back(end = std::max(end, r.first + r.count));
    const bool warn = skipped > 0 && (now_version != version_ || unknown != unknown_owners_);
    version_ = now_version;
    unknown_owners_ = unknown;
    retry_at_ = now + k_retry_unknown;
    if (warn) {
        log::warning(path_ + ": " + std::to_string(skipped) + " line(s) skipped (not OWNER:FIRST:COUNT, or " +
                     std::to_string(unknown) + " with an owner without a uid, looked up again every " +
                     std::to_string(k_retry_unknown / std::chrono::seconds(1)) + " s); those uids count as themselves");
    }
    log::debug(path_ + ": " + std::to_string(ranges_.size()) + " range(s) of subordinate uids");
}

}  // namespace credctl::peer
