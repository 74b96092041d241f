#include "daemon/peer/exe_hash.hpp"

#include "common/crypto/crypto.hpp"

#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>

namespace credctl::peer {
namespace {

std::optional<struct stat> regular_stat(int fd) {
    struct stat st {};
    if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) return std::nullopt;
    return st;
}

}  // namespace

OpenExe::~OpenExe() {
    if (fd_ >= 0) ::close(fd_);
}

std::optional<std::int64_t> regular_file_size(int fd) {
    const auto st = regular_stat(fd);
    if (!st) return std::nullopt;
    return static_cast<std::int64_t>(st->st_size);
}

// The file's identity and last change. ctime, not only mtime: the owner
// can set mtime back after rewriting the file, ctime only the kernel sets.
ExeHashCache::Key ExeHashCache::key_of(const struct stat& st) {
    return {st.st_dev,          st.st_ino,         st.st_size,        st.st_mtim.tv_sec,
            st.st_mtim.tv_nsec, st.st_ctim.tv_sec, st.st_ctim.tv_nsec};
}

std::optional<std::string> ExeHashCache::cached(int fd) const {
    const auto st = regular_stat(fd);
    if (!st) return std::nullopt;
    const Key key = key_of(*st);
    if (auto it = digests_.find(key); it != digests_.end()) return it->second;
    return std::nullopt;
}

std::optional<std::string> ExeHashCache::digest(int fd) {
    const auto st = regular_stat(fd);
    if (!st || st->st_size > k_max_exe_bytes) return std::nullopt;
    const Key key = key_of(*st);
    if (auto it = digests_.find(key); it != digests_.end()) return it->second;

    crypto_hash_sha256_state state;
    crypto_hash_sha256_init(&state);
    std::array<unsigned char, 64 * 1024> buf{};
    off_t offset = 0;
    while (offset < st->st_size) {
        const ssize_t n = ::pread(fd, buf.data(), buf.size(), offset);
        if (n < 0) return std::nullopt;
        if (n == 0) break;
        crypto_hash_sha256_update(&state, buf.data(), static_cast<unsigned long long>(n));
        offset += n;
    }
    if (offset != st->st_size) return std::nullopt;  // changed under us
    // Written while it was read: the bytes hashed may be of neither version.
    const auto after = regular_stat(fd);
    if (!after || key_of(*after) != key) return std::nullopt;
    std::array<unsigned char, crypto_hash_sha256_BYTES> out{};
    crypto_hash_sha256_final(&state, out.data());
    std::string hex = crypto::hex(std::string_view(reinterpret_cast<const char*>(out.data()), out.size()));
    if (digests_.size() >= k_max_entries) digests_.clear();
    digests_.emplace(key, hex);
    return hex;
}

}  // namespace credctl::peer
