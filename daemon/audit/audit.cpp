#include "daemon/audit/audit.hpp"

#include "common/crypto/crypto.hpp"
#include "common/log/log.hpp"

#include <fcntl.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

#include <array>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <ctime>

namespace credctl::audit {
namespace {

namespace json = boost::json;

// RFC 3339 UTC with milliseconds: "2026-11-29T10:02:03.123Z".
std::string utc_now() {
    const auto now = std::chrono::system_clock::now();
    const std::time_t secs = std::chrono::system_clock::to_time_t(now);
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
    std::tm tm{};
    ::gmtime_r(&secs, &tm);
    std::array<char, 40> buf{};
    const auto n = std::strftime(buf.data(), buf.size(), "%Y-%m-%dT%H:%M:%S", &tm);
    std::array<char, 8> frac{};
    std::snprintf(frac.data(), frac.size(), ".%03dZ", static_cast<int>(ms));
    return std::string(buf.data(), n) + frac.data();
}

json::value optional(const std::optional<std::string>& v) {
    return v ? json::value(*v) : json::value(nullptr);
}

}  // namespace

std::string to_json_line(const Record& r) {
    json::object o;
    o["time"] = utc_now();
    o["request_id"] = r.request_id;
    o["pid"] = r.caller.pid;
    o["uid"] = r.caller.uid;
    o["user"] = optional(r.caller.user);
    o["exe"] = optional(r.caller.exe);
    o["unit"] = optional(r.caller.unit);
    o["resource"] = r.resource;
    o["permission"] = r.permission;
    o["decision"] = r.allowed ? "allow" : "deny";
    o["grant"] = r.grant.empty() ? json::value(nullptr) : json::value(r.grant);
    o["reason"] = r.reason;
    return json::serialize(o);
}

Result<std::shared_ptr<AuditLog>> AuditLog::open(const std::string& path) {
    if (path.empty()) return std::shared_ptr<AuditLog>(new AuditLog(path, -1));
    const int fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0) return make_error(Errc::internal, "cannot open audit log " + path + ": " + std::strerror(errno));
    std::shared_ptr<AuditLog> log(new AuditLog(path, fd));
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
    } else if (!S_ISCHR(st.st_mode)) {
        return make_error(Errc::internal, "audit log " + path + " is neither a regular file nor a device");
    }
    return log;
}

AuditLog::~AuditLog() {
    if (fd_ >= 0) ::close(fd_);
}

bool AuditLog::write(const Record& r) {
    std::string line = to_json_line(r);
    log::info("audit " + line);
    if (fd_ < 0) return true;
    line += '\n';
    const ssize_t n = ::write(fd_, line.data(), line.size());
    return n == static_cast<ssize_t>(line.size());
}

std::string new_request_id() {
    std::array<unsigned char, 8> id{};
    randombytes_buf(id.data(), id.size());
    return crypto::hex(std::string_view(reinterpret_cast<const char*>(id.data()), id.size()));
}

}  // namespace credctl::audit
