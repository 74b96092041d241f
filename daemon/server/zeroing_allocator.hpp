// An allocator that zeroes memory as it frees it, for buffers that hold a
// request's bytes: consumed bytes of a Beast flat_buffer are never
// overwritten, so without it a login's refresh token would stay in the heap
// after the request. Used by the server (daemon/server/server.cpp).
// Thread-safety: stateless.
#pragma once

#include <sodium.h>

#include <cstddef>
#include <memory>

namespace credctl::server {

// Frees its memory zeroed: the bytes of a request, a login's refresh token
// among them, must not outlive the request in credd's heap.
template <class T>
struct ZeroingAllocator {
    using value_type = T;
    ZeroingAllocator() = default;
    template <class U>
    ZeroingAllocator(const ZeroingAllocator<U>&) {}  // NOLINT(google-explicit-constructor)
    T* allocate(std::size_t n) { return std::allocator<T>().allocate(n); }
    void deallocate(T* p, std::size_t n) {
        sodium_memzero(p, n * sizeof(T));
        std::allocator<T>().deallocate(p, n);
    }
    friend bool operator==(const ZeroingAllocator&, const ZeroingAllocator&) { return true; }
};

}  // namespace credctl::server
