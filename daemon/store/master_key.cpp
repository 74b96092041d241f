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
    // The new name must survive a crash too, or the store it seals is lost.
    const std::string dir = path.substr(0, path.find_last_of('/') + 1);
    if (const int dfd = ::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC); dfd >= 0) {
        ::fsync(dfd);
        ::close(dfd);
    }
    return key;
}

// Checks ownership, mode and length of an open key file, then reads it.
// `root_may_own`: systemd may hand credentials over owned by root.
Result<SecretBytes> read_key_fd(int fd, const std::string& path, bool root_may_own) {
    struct stat st {};
    if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        return make_error(Errc::internal, "master key " + path + " is not a regular file");
    }
    if (st.st_uid != ::geteuid() && !(root_may_own && st.st_uid == 0)) {
        return make_error(Errc::internal, "master key " + path + " is not owned by uid " + std::to_string(::geteuid()));
    }
    if ((st.st_mode & 077) != 0) {
        return make_error(Errc::internal, "master key " + path + " is readable by group or others (mode " +
                                              octal_mode(st.st_mode) + "); chmod 600 it");
    }
    if ((st.st_mode & 07177) != 0) {
        return make_error(Errc::internal,
                          "master key " + path + " has mode " + octal_mode(st.st_mode) + "; it must be 0400 or 0600");
    }
    if (static_cast<std::size_t>(st.st_size) != k_master_key_bytes) {
        return make_error(Errc::internal,
                          "master key " + path + " is not " + std::to_string(k_master_key_bytes) + " bytes long");
    }
    auto key = SecretBytes::zeroed(k_master_key_bytes);
    const ssize_t n = ::read(fd, key.data(), key.size());
    if (n != static_cast<ssize_t>(k_master_key_bytes))
        return make_error(Errc::internal, "cannot read master key " + path);
    return key;
}

Result<SecretBytes> load_key(const std::string& path, KeyCreation creation, bool root_may_own) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0) {
        if (errno == ENOENT && creation == KeyCreation::allow) return create_key(path);
        return make_error(Errc::internal, "cannot open master key " + path + ": " + std::strerror(errno));
    }
    auto key = read_key_fd(fd, path, root_may_own);
    ::close(fd);
    return key;
}

bool exists(const std::string& path) {
    struct stat st {};
    return ::lstat(path.c_str(), &st) == 0;
}

}  // namespace

Result<SecretBytes> load_master_key(const std::string& path, KeyCreation creation) {
    return load_key(path, creation, false);
}

Result<MasterKey> find_master_key(const KeySources& s) {
    if (!s.credentials_directory.empty()) {
        const std::string path = s.credentials_directory + "/credd.key";
        if (exists(path)) {
            auto key = load_key(path, KeyCreation::forbid, true);
            if (!key) return key.error();
            return MasterKey{std::move(*key), path + " (systemd credential)"};
        }
    }
    if (!s.key_file.empty()) {
        auto key = load_key(s.key_file, KeyCreation::forbid, false);
        if (!key) return key.error();
        return MasterKey{std::move(*key), s.key_file};
    }
    if (!s.generate) {
        return make_error(Errc::internal,
                          "no master key: set key_file in the config or pass credd.key as a systemd "
                          "credential (LoadCredential=); [store] generate_key is false");
    }
    const std::string path = s.state_dir + "/master.key";
    if (!exists(path) && exists(s.state_dir + "/data.mdb")) {
        return make_error(Errc::internal, "store " + s.state_dir + " exists but its master key " + path +
                                              " is missing; restore the key (a new one would not open the store)");
    }
    auto key = load_key(path, KeyCreation::allow, false);
    if (!key) return key.error();
    return MasterKey{std::move(*key), path};
}

}  // namespace credctl::store
