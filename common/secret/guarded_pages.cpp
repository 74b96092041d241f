#include "common/secret/guarded_pages.hpp"

#include <sodium.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <unistd.h>

#include <array>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace credctl::secret {
namespace {

constexpr std::size_t k_canary_size = 16;
using Canary = std::array<unsigned char, k_canary_size>;

std::size_t page_size() {
    static const auto page = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
    return page;
}

[[noreturn]] void die(const char* why) {
    std::fputs(why, stderr);
    std::abort();
}

// Random, so that an overrun from below cannot write back what it found.
// Only sodium_memzero and sodium_memcmp of libsodium are used here: neither
// needs sodium_init().
const Canary& canary() {
    static const Canary value = [] {
        Canary c{};
        std::size_t got = 0;
        while (got < c.size()) {
            const ssize_t n = ::getrandom(c.data() + got, c.size() - got, 0);
            if (n < 0) die("credctl: cannot read random bytes for guarded memory\n");
            got += static_cast<std::size_t>(n);
        }
        return c;
    }();
    return value;
}

// The secret's pages: the secret and its canary, rounded up to whole pages.
std::size_t inner_size(std::size_t size) {
    const std::size_t page = page_size();
    return (size + k_canary_size + page - 1) / page * page;
}

}  // namespace

unsigned char* guarded_alloc(std::size_t size) noexcept {
    const std::size_t page = page_size();
    if (size == 0 || size > SIZE_MAX - k_canary_size - 3 * page) return nullptr;
    const Canary& mark = canary();
    const std::size_t inner = inner_size(size);
    void* base = ::mmap(nullptr, inner + 2 * page, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (base == MAP_FAILED) return nullptr;
    unsigned char* inside = static_cast<unsigned char*>(base) + page;
    if (::mprotect(inside, inner, PROT_READ | PROT_WRITE) != 0) {
        ::munmap(base, inner + 2 * page);
        return nullptr;
    }
    ::madvise(inside, inner, MADV_DONTDUMP);
    ::mlock(inside, inner);
    unsigned char* user = inside + inner - size;
    std::memcpy(user - k_canary_size, mark.data(), k_canary_size);
    return user;
}

void guarded_free(unsigned char* p, std::size_t size) noexcept {
    if (p == nullptr) return;
    if (sodium_memcmp(p - k_canary_size, canary().data(), k_canary_size) != 0) {
        die("credctl: the memory before a secret was overwritten\n");
    }
    sodium_memzero(p, size);
    // Unmapping unlocks the pages as well.
    const std::size_t page = page_size();
    const std::size_t inner = inner_size(size);
    ::munmap(p + size - inner - page, inner + 2 * page);
}

}  // namespace credctl::secret
