// SHA-256 of executables, for grants that pin a binary by content
// (`exe_sha256`). Hashing a large binary is costly, so digests are cached by
// the file's identity: device, inode, size and modification time. Replacing
// the file (new inode) or rewriting it in place (new mtime) misses the cache.
//
// Used by the peer resolver on the server's I/O thread.
// Thread-safety: none; one cache per I/O thread.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <tuple>

namespace credctl::peer {

class ExeHashCache {
public:
    // Executables larger than this are not hashed (a grant on their hash
    // cannot match); no real tool binary comes near it.
    static constexpr std::int64_t k_max_exe_bytes = 256LL << 20;
    // Distinct binaries remembered; the cache is cleared when full.
    static constexpr std::size_t k_max_entries = 4096;

    // Lowercase hex SHA-256 of the open file `fd` (read from offset 0 with
    // pread; the descriptor's offset is unchanged), or std::nullopt when it
    // is not a regular file, is too large, or cannot be read.
    [[nodiscard]] std::optional<std::string> digest(int fd);

    [[nodiscard]] std::size_t size() const { return digests_.size(); }

private:
    using Key = std::tuple<dev_t, ino_t, off_t, std::int64_t, std::int64_t>;
    std::map<Key, std::string> digests_;
};

}  // namespace credctl::peer
