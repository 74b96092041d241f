#include "daemon/audit/audit.hpp"

#include "common/crypto/crypto.hpp"
#include "common/fs/safe_path.hpp"
#include "common/log/log.hpp"
#include "common/wire/wire.hpp"

#include <fcntl.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <ctime>
#include <optional>

namespace credctl::audit {
namespace {

// RFC 3339 UTC with milliseconds: "2026-11-29T10:02:03.123Z". The text up
// to the second is kept for the next line of the same second: gmtime_r
// takes glibc's time zone lock and strftime walks the locale, once per
// audited request otherwise. Returned in place: a std::string of it would
// be one more allocation per audited request.
struct UtcText {
    std::array<char, 48> chars{};
    std::size_t size = 0;
    [[nodiscard]] std::string_view view() const { return {chars.data(), size}; }
};
UtcText utc_now() {
    thread_local std::time_t last_secs = -1;
    thread_local std::array<char, 40> last{};
    thread_local std::size_t last_size = 0;
    const auto now = std::chrono::system_clock::now();
    const std::time_t secs = std::chrono::system_clock::to_time_t(now);
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
    if (secs != last_secs) {
        std::tm tm{};
        ::gmtime_r(&secs, &tm);
        last_size = std::strftime(last.data(), last.size(), "%Y-%m-%dT%H:%M:%S", &tm);
        last_secs = secs;
    }
    UtcText out;
    std::memcpy(out.chars.data(), last.data(), last_size);
    const int m = static_cast<int>(ms);
    const std::array<char, 5> frac{'.', static_cast<char>('0' + m / 100), static_cast<char>('0' + m / 10 % 10),
                                   static_cast<char>('0' + m % 10), 'Z'};
    std::memcpy(out.chars.data() + last_size, frac.data(), frac.size());
    out.size = last_size + frac.size();
    return out;
}

// Append `,"key":value` (the first one opens the object). The line is built
// field by field, not through a json::object, whose allocations were a
// visible share of credd's time per request at 1000 concurrent callers
// (docs/benchmarks.md, "Expiry stampede"). Strings are written as
// valid UTF-8 JSON whatever their bytes (wire::append_json_string): an
// executable's path is its caller's choice.
void text(std::string& out, std::string_view key, std::string_view value) {
    out += out.empty() ? "{\"" : ",\"";
    out += key;
    out += "\":";
    wire::append_json_string(out, value);
}
void text_or_null(std::string& out, std::string_view key, const std::optional<std::string>& value) {
    if (value) return text(out, key, *value);
    out += ",\"";
    out += key;
    out += "\":null";
}
void number(std::string& out, std::string_view key, std::int64_t value) {
    out += ",\"";
    out += key;
    out += "\":";
    out += std::to_string(value);
}

// The JSON line for `r` in `out`, replacing what it held (its buffer is kept).
void write_json_line(std::string& out, const Record& r) {
    out.clear();
    text(out, "time", utc_now().view());
    text(out, "request_id", r.request_id);
    number(out, "pid", static_cast<std::int64_t>(r.caller.pid));
    number(out, "uid", static_cast<std::int64_t>(r.caller.uid));
    text_or_null(out, "user", r.caller.user);
    text_or_null(out, "exe", r.caller.exe);
    text_or_null(out, "unit", r.caller.unit);
    text(out, "resource", r.resource);
    text(out, "permission", r.permission);
    text(out, "decision", r.allowed ? "allow" : "deny");
    text_or_null(out, "grant", r.grant.empty() ? std::nullopt : std::optional<std::string>(r.grant));
    text(out, "reason", r.reason);
    out += '}';
}

}  // namespace

std::string to_json_line(const Record& r) {
    std::string out;
    out.reserve(512);
    write_json_line(out, r);
    return out;
}

std::string to_json_line(const Suppressed& s, const LimiterSettings& limits, Lines lines) {
    const bool allows = lines == Lines::allows;
    const std::string_view counted = allows ? "allows" : "denials";
    std::string out;
    text(out, "time", utc_now().view());
    text(out, "event", "suppressed");
    if (s.uid) {
        number(out, "uid", static_cast<std::int64_t>(*s.uid));
    } else {
        out += ",\"uid\":null";
    }
    number(out, counted, static_cast<std::int64_t>(s.count));
    if (allows) {
        out += ",\"tallies\":[";
        std::uint64_t tallied = 0;
        std::string entry;
        for (const auto& t : s.tallies) {
            if (tallied != 0) out += ',';
            if (t.exe.empty()) {
                entry = "{\"exe\":null";
            } else {
                entry.clear();
                text(entry, "exe", t.exe);  // opens the object
            }
            text(entry, "resource", t.resource);
            text(entry, "permission", t.permission);
            number(entry, "allows", static_cast<std::int64_t>(t.count));
            out += entry;
            out += '}';
            tallied += t.count;
        }
        out += ']';
        number(out, "other_allows", static_cast<std::int64_t>(s.count - tallied));
    }
    const std::string who = s.uid ? "uid " + std::to_string(*s.uid)
                                  : "uids beyond the " + std::to_string(limits.max_uids) + " tracked at once";
    text(out, "reason",
         std::to_string(s.count) + (allows ? " more allowed requests of " : " more denials of ") + who +
             (allows ? " not written" : " suppressed") + " (over " + std::to_string(limits.burst) + " in a row, then " +
             std::to_string(limits.per_second) + " per second)");
    out += '}';
    return out;
}

Result<std::shared_ptr<AuditLog>> AuditLog::open(const std::string& path, const Settings& settings, Clock clock) {
    if (path.empty()) return std::shared_ptr<AuditLog>(new AuditLog(path, -1, settings, std::move(clock)));
    // Rotation renames path.N by name: a uid that could add a name beside
    // the log could make every rotation fail (a path.1 of its own in a
    // sticky directory) and the cap never apply, or replace the files.
    const std::string dir = path.substr(0, std::max<std::size_t>(path.find_last_of('/'), 1));
    if (auto r = fs::check_private_dir(dir, ::geteuid()); !r) {
        return make_error(Errc::internal, "cannot open audit log " + path + ": " + r.error().message);
    }
    const int fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0) return make_error(Errc::internal, "cannot open audit log " + path + ": " + std::strerror(errno));
    std::shared_ptr<AuditLog> log(new AuditLog(path, fd, settings, std::move(clock)));
    struct stat st {};
    if (::fstat(fd, &st) != 0) return make_error(Errc::internal, "cannot stat audit log " + path);
    if (S_ISREG(st.st_mode)) {
        if (st.st_uid != ::geteuid()) {
            return make_error(Errc::internal, "audit log " + path + " is owned by uid " + std::to_string(st.st_uid) +
                                                  ", not by credd's uid " + std::to_string(::geteuid()));
        }
        if ((st.st_mode & 07777) != 0600 && ::fchmod(fd, 0600) != 0) {
            return make_error(Errc::internal, "cannot make audit log " + path + " mode 0600");
        }
        log->rotates_ = settings.max_file_bytes > 0;
        log->size_ = static_cast<std::uint64_t>(st.st_size);
    } else if (!S_ISCHR(st.st_mode)) {
        return make_error(Errc::internal, "audit log " + path + " is neither a regular file nor a device");
    }
    return log;
}

AuditLog::~AuditLog() {
    queue_summaries();
    if (!flush()) log::error("audit log " + path_ + " cannot be written: lines lost at close");
    if (fd_ >= 0) ::close(fd_);
}

std::uint64_t AuditLog::append(const Record& r, Limit limit) {
    write_json_line(line_, r);
    if (!r.allowed || (limit == Limit::applies && settings_.allows.burst != 0)) {
        // What a line costs is its size (line_limiter.hpp).
        const uid_t account = r.caller.subordinate_of.value_or(r.caller.uid);
        const double cost = line_cost(line_.size());
        const std::string_view exe = r.caller.exe ? std::string_view(*r.caller.exe) : std::string_view();
        if (r.allowed ? !allow_limiter_.admit(account, cost, exe, r.resource, r.permission)
                      : !denial_limiter_.admit(account, cost)) {
            return 0;
        }
    }
    queue(line_);
    return ++appended_;
}

void AuditLog::queue(std::string_view line) {
    // The whole of a batch's buffer at once: grown by doubling, it would be
    // copied six times on its way there, into fresh memory each time.
    if (queued_.capacity() < k_kept_batch_bytes) queued_.reserve(k_kept_batch_bytes);
    queued_ += line;
    queued_ += '\n';
    ++queued_lines_;
}

Result<void> AuditLog::flush() {
    if (queued_.empty()) return {};
    log::write_lines(log::Level::info, "audit ", queued_);
    Result<void> written;
    if (fd_ >= 0) {
        const std::string_view text = queued_;
        // A rotation that fails leaves the lines to the current file, past
        // the cap, rather than losing them; it is tried again once another
        // cap's worth has been written.
        if (rotates_ && size_ > 0 && size_ + text.size() > settings_.max_file_bytes && !rotate()) size_ = 0;
        const ssize_t n = ::write(fd_, text.data(), text.size());
        if (n < 0) {
            written = make_error(Errc::internal, "audit log " + path_ + " cannot be written: " + std::strerror(errno));
        } else if (n != static_cast<ssize_t>(text.size())) {
            written = make_error(Errc::internal, "audit log " + path_ + " took " + std::to_string(n) + " of " +
                                                     std::to_string(text.size()) + " bytes");
        }
        if (n > 0) size_ += static_cast<std::uint64_t>(n);
    }
    // The batch's buffer is kept for the next one, unless a burst grew it.
    if (queued_.capacity() > k_kept_batch_bytes) {
        std::string().swap(queued_);
    } else {
        queued_.clear();
    }
    queued_lines_ = 0;
    flushed_ = appended_;
    return written;
}

// path.(N-1) -> path.N, ..., path -> path.1 (rename(2) replaces the oldest),
// then a new path, made as open() makes it but never an existing file.
bool AuditLog::rotate() {
    const auto numbered = [this](std::uint32_t i) { return path_ + "." + std::to_string(i); };
    const auto fail = [this](int err, const std::string& what) {
        log::error("audit log " + path_ + " cannot be rotated: " + what + ": " + std::strerror(err) +
                   "; lines go on to the current file");
        return false;
    };
    for (std::uint32_t i = settings_.keep_files; i > 1; --i) {
        if (::rename(numbered(i - 1).c_str(), numbered(i).c_str()) != 0 && errno != ENOENT) {
            return fail(errno, "rename to " + numbered(i));
        }
    }
    if (::rename(path_.c_str(), numbered(1).c_str()) != 0) return fail(errno, "rename to " + numbered(1));
    const int fd = ::open(path_.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0) {
        const int err = errno;
        // The current file goes back to its name, so that the next rotation
        // does not shift it while it is still being written.
        (void)::rename(numbered(1).c_str(), path_.c_str());
        return fail(err, "create");
    }
    ::close(fd_);
    fd_ = fd;
    size_ = 0;
    log::info("audit log " + path_ + " rotated to " + numbered(1));
    return true;
}

std::optional<std::chrono::milliseconds> AuditLog::schedule_summary() {
    if (summary_due_ || !(denial_limiter_.pending() || allow_limiter_.pending())) return std::nullopt;
    summary_due_ = true;
    return settings_.summary_period;
}

void AuditLog::queue_summaries() {
    // Each summary is charged to the uid it counts: its size is the
    // caller's doing (tallies of long paths), and comes from its budget.
    for (auto* limiter : {&denial_limiter_, &allow_limiter_}) {
        const Lines lines = limiter == &allow_limiter_ ? Lines::allows : Lines::denials;
        for (const auto& s : limiter->take()) {
            const std::string line = to_json_line(s, limiter->settings(), lines);
            limiter->charge(s.uid, line_cost(line.size()));
            queue(line);
            ++appended_;
        }
    }
}

Result<void> AuditLog::write_summaries() {
    summary_due_ = false;
    queue_summaries();
    return flush();
}

Result<void> AuditLog::write(const Record& r) {
    append(r, Limit::applies);
    return flush();
}

std::string new_request_id() {
    // Random bytes for 64 ids at a time: one getrandom(2) per request was a
    // measurable share of a request's cost. Ids are not secrets.
    constexpr std::size_t k_id_bytes = 8;
    thread_local std::array<unsigned char, 64 * k_id_bytes> pool{};
    thread_local std::size_t used = pool.size();
    if (used == pool.size()) {
        randombytes_buf(pool.data(), pool.size());
        used = 0;
    }
    const auto* id = reinterpret_cast<const char*>(pool.data() + used);
    used += k_id_bytes;
    return crypto::hex(std::string_view(id, k_id_bytes));
}

}  // namespace credctl::audit
