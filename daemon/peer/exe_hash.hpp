// SHA-256 of executables, for grants that pin a binary by content
// (`exe_sha256`). Hashing a large binary is costly, so digests are cached by
// the file's identity: device, inode, size, modification and change time.
// Replacing the file (new inode) or rewriting it in place (new ctime, which
// unlike mtime its owner cannot set back) misses the cache; a file written
// while it was hashed gets no digest. Within one timestamp tick (coarse on
// kernels before 6.13) a rewrite keeps the key: a grant on a hash narrows,
// it is never the only barrier (docs/policy.md).
// OpenExe keeps the executable a caller ran open, so that it can be hashed
// later, off the I/O thread (daemon/peer/exe_hasher.hpp): the descriptor pins
// the inode that ran, whatever happens to its path meanwhile.
//
// Used by the hasher's worker thread, and by `credctl policy check` on the
// I/O thread. Thread-safety: ExeHashCache none, one per thread; OpenExe is
// immutable and may be shared between threads.
#pragma once

#include <sys/stat.h>
#include <sys/types.h>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <tuple>

namespace credctl::peer {

// An open, read-only descriptor of an executable; closed on destruction.
class OpenExe {
public:
    explicit OpenExe(int fd) : fd_(fd) {}
    OpenExe(const OpenExe&) = delete;
    OpenExe& operator=(const OpenExe&) = delete;
    ~OpenExe();
    [[nodiscard]] int fd() const { return fd_; }

private:
    int fd_;
};

class ExeHashCache {
public:
    // Executables larger than this are not hashed (a grant on their hash
    // cannot match). Binaries one pins are tens of MiB (a static Go tool,
    // credctl itself with debug information: 70 MiB); each byte hashed costs
    // the hashing thread's time, so the cap stays near them.
    static constexpr std::int64_t k_max_exe_bytes = 128LL << 20;
    // Distinct binaries remembered; the cache is cleared when full.
    static constexpr std::size_t k_max_entries = 4096;

    // Lowercase hex SHA-256 of the open file `fd` (read from offset 0 with
    // pread; the descriptor's offset is unchanged), or std::nullopt when it
    // is not a regular file, is too large, or cannot be read.
    [[nodiscard]] std::optional<std::string> digest(int fd);

    // The digest of `fd` if it is already known, without reading the file.
    [[nodiscard]] std::optional<std::string> cached(int fd) const;

    [[nodiscard]] std::size_t size() const { return digests_.size(); }

private:
    using Key = std::tuple<dev_t, ino_t, off_t, std::int64_t, std::int64_t, std::int64_t, std::int64_t>;
    [[nodiscard]] static Key key_of(const struct stat& st);
    std::map<Key, std::string> digests_;
};

// The size of the regular file `fd`, or std::nullopt when it is not one.
[[nodiscard]] std::optional<std::int64_t> regular_file_size(int fd);

}  // namespace credctl::peer
