#include "daemon/store/master_key.hpp"

#include "daemon/store/sealer.hpp"

#include <fcntl.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

namespace credctl::store {
namespace {

std::string octal_mode(mode_t mode) {
    char buf[8];
    std::snprintf(buf, sizeof buf, "%04o", static_cast<unsigned>(mode & 07777));
    return buf;
}

Result<SecretBytes> create_key(const std::string& path) {
    // O_EXCL: never overwrite a key that appeared meanwhile.
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0) return make_error(Errc::internal, "cannot create master key " + path + ": " + std::strerror(errno));
    auto key = SecretBytes::zeroed(k_master_key_bytes);
    randombytes_buf(key.data(), key.size());
    const bool ok = ::write(fd, key.data(), key.size()) == static_cast<ssize_t>(key.size()) && ::fsync(fd) == 0;
    ::close(fd);
    if (!ok) {
        ::unlink(path.c_str());
        return make_error(Errc::internal, "cannot write master key " + path);
    }
    return key;
}

}  // namespace

Result<SecretBytes> load_master_key(const std::string& path, KeyCreation creation) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0) {
        if (errno == ENOENT && creation == KeyCreation::allow) return create_key(path);
        return make_error(Errc::internal, "cannot open master key " + path + ": " + std::strerror(errno));
    }
    struct stat st {};
    if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        ::close(fd);
        return make_error(Errc::internal, "master key " + path + " is not a regular file");
    }
    if (st.st_uid != ::geteuid()) {
        ::close(fd);
        return make_error(Errc::internal, "master key " + path + " is not owned by uid " + std::to_string(::geteuid()));
    }
    if ((st.st_mode & 077) != 0) {
        ::close(fd);
        return make_error(Errc::internal, "master key " + path + " is readable by group or others (mode " +
                                              octal_mode(st.st_mode) + "); chmod 600 it");
    }
    if (static_cast<std::size_t>(st.st_size) != k_master_key_bytes) {
        ::close(fd);
        return make_error(Errc::internal, "master key " + path + " is not " + std::to_string(k_master_key_bytes) +
                                              " bytes long");
    }
    auto key = SecretBytes::zeroed(k_master_key_bytes);
    const ssize_t n = ::read(fd, key.data(), key.size());
    ::close(fd);
    if (n != static_cast<ssize_t>(k_master_key_bytes)) return make_error(Errc::internal, "cannot read master key " + path);
    return key;
}

}  // namespace credctl::store
