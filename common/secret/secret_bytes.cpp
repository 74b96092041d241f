#include "common/secret/secret_bytes.hpp"

#include "common/secret/guarded_pages.hpp"

#include <sodium.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <utility>

namespace credctl {
namespace {

// Released guarded regions kept for reuse: a pool per thread, and one
// shared by all threads that takes what a thread's own pool has no room
// for and serves what it lacks (a refresh's tokens are made on the provider
// exchanges' thread and released on the I/O thread). Guarded pages cost
// five system calls to make and to free (guarded_pages.hpp); libsodium's
// sodium_malloc, which credd used before, cost ten, and took half of
// credd's CPU time when it served a burst of 1000 cached tokens
// (docs/benchmarks.md, "Expiry stampede"). A pooled region stays mapped,
// locked and between its guard pages, and is zeroed before it is pooled; it
// is only handed out again for the same size, so the secret still ends right
// at the guard page.
class Pool {
public:
    // Bounds the memory kept locked: a few small regions per thread.
    static constexpr std::size_t k_max_regions = 16;
    static constexpr std::size_t k_max_region_bytes = 16 * 1024;

    unsigned char* take(std::size_t size) {
        for (std::size_t i = 0; i < count_; ++i) {
            if (regions_[i].size != size) continue;
            unsigned char* p = regions_[i].data;
            regions_[i] = regions_[--count_];
            return p;
        }
        return nullptr;
    }
    // False when full or too big: the caller frees the region.
    bool give(unsigned char* p, std::size_t size) {
        if (count_ == k_max_regions || size > k_max_region_bytes) return false;
        sodium_memzero(p, size);
        regions_[count_++] = {p, size};
        return true;
    }
    ~Pool();

private:
    struct Region {
        unsigned char* data;
        std::size_t size;
    };
    std::array<Region, k_max_regions> regions_{};
    std::size_t count_ = 0;
};

// Trivially destructible, so still readable while the thread's other
// thread_local objects are destroyed: a secret released after the pool is
// gone goes to the shared pool or is freed.
thread_local bool t_pool_gone = false;
thread_local Pool t_pool;

Pool::~Pool() {
    t_pool_gone = true;
    for (std::size_t i = 0; i < count_; ++i) secret::guarded_free(regions_[i].data, regions_[i].size);
}

// The pool all threads share. Never destroyed: a thread may release a
// secret after static destructors have run; its regions are zeroed and die
// with the process.
class SharedPool {
public:
    unsigned char* take(std::size_t size) {
        const std::lock_guard lock(mutex_);
        return pool_.take(size);
    }
    bool give(unsigned char* p, std::size_t size) {
        const std::lock_guard lock(mutex_);
        return pool_.give(p, size);
    }

private:
    std::mutex mutex_;
    Pool pool_;
};

SharedPool& shared_pool() {
    static auto* pool = new SharedPool;
    return *pool;
}

unsigned char* guarded_alloc(std::size_t size) {
    if (size == 0) return nullptr;  // empty secrets stay unallocated
    if (!t_pool_gone) {
        if (auto* p = t_pool.take(size)) return p;
    }
    if (auto* p = shared_pool().take(size)) return p;
    auto* p = secret::guarded_alloc(size);
    if (p == nullptr) {
        // Falling back to ordinary memory would put the secret in swap and
        // core files; dying is the safe answer.
        std::fputs("credctl: cannot allocate guarded memory for a secret\n", stderr);
        std::abort();
    }
    return p;
}

}  // namespace

SecretBytes::SecretBytes(const void* data, std::size_t size) : data_(guarded_alloc(size)), size_(size) {
    if (size_ != 0) std::memcpy(data_, data, size_);
}

SecretBytes SecretBytes::zeroed(std::size_t size) {
    SecretBytes s;
    s.data_ = guarded_alloc(size);
    s.size_ = size;
    if (size != 0) sodium_memzero(s.data_, size);
    return s;
}

SecretBytes::SecretBytes(SecretBytes&& other) noexcept
    : data_(std::exchange(other.data_, nullptr)), size_(std::exchange(other.size_, 0)) {}

SecretBytes& SecretBytes::operator=(SecretBytes&& other) noexcept {
    if (this != &other) {
        release();
        data_ = std::exchange(other.data_, nullptr);
        size_ = std::exchange(other.size_, 0);
    }
    return *this;
}

SecretBytes::~SecretBytes() {
    release();
}

void SecretBytes::release() noexcept {
    // Each zeroes the region: guarded_free before unmapping it, a pool
    // before keeping it.
    if (data_ != nullptr && (t_pool_gone || !t_pool.give(data_, size_)) && !shared_pool().give(data_, size_)) {
        secret::guarded_free(data_, size_);
    }
    data_ = nullptr;
    size_ = 0;
}

std::string_view SecretBytes::reveal() const {
    return {reinterpret_cast<const char*>(data_), size_};
}

bool SecretBytes::equals(const SecretBytes& other) const {
    if (size_ != other.size_) return false;
    if (size_ == 0) return true;
    return sodium_memcmp(data_, other.data_, size_) == 0;
}

}  // namespace credctl
