#include "common/secret/secret_bytes.hpp"

#include <sodium.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <utility>

namespace credctl {
namespace {

unsigned char* guarded_alloc(std::size_t size) {
    // sodium_malloc(0) is legal but pointless; keep empty secrets unallocated.
    if (size == 0) return nullptr;
    auto* p = static_cast<unsigned char*>(sodium_malloc(size));
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
    // sodium_free zeroes the region before unmapping it.
    if (data_ != nullptr) sodium_free(data_);
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
