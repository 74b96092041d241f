// SecretBytes: the only type that holds key material and tokens in memory.
//
// The bytes live in guarded pages (guarded_pages.hpp: guard pages, a canary,
// locked so they never reach swap, out of core dumps) and are zeroed when
// freed. A freed region of up to 16 KiB may be kept, zeroed, mapped and
// locked, by the releasing thread, or when its pool is full in a pool all
// threads share, and handed out again for a secret of the same size
// (guarded pages cost five system calls to make and free; credd serves a
// token per request, and a refresh's tokens are made on one thread and
// released on another).
// The type is move-only and deliberately has no stream or fmt formatter, so a
// secret cannot be logged by accident; reveal() is the one door out and is
// greppable. Compare with equals(), which is constant-time.
//
// Thread-safety: like std::string; distinct objects may be used concurrently.
// Needs no sodium_init(), so that a `credctl token` need not pay for it.
#pragma once

#include <cstddef>
#include <string_view>

namespace credctl {

class SecretBytes {
public:
    SecretBytes() = default;
    // Copies `size` bytes from `data` into guarded memory. Aborts if guarded
    // memory cannot be had: a secret is never kept in ordinary memory instead.
    SecretBytes(const void* data, std::size_t size);
    static SecretBytes from(std::string_view text) { return {text.data(), text.size()}; }
    // Guarded memory of `size` zero bytes, to be filled through data().
    static SecretBytes zeroed(std::size_t size);

    SecretBytes(SecretBytes&& other) noexcept;
    SecretBytes& operator=(SecretBytes&& other) noexcept;
    SecretBytes(const SecretBytes&) = delete;
    SecretBytes& operator=(const SecretBytes&) = delete;
    ~SecretBytes();

    [[nodiscard]] SecretBytes clone() const { return {data_, size_}; }
    [[nodiscard]] bool empty() const { return size_ == 0; }
    [[nodiscard]] std::size_t size() const { return size_; }
    [[nodiscard]] unsigned char* data() { return data_; }
    [[nodiscard]] const unsigned char* data() const { return data_; }
    // The secret as text, for the moment it is sent somewhere. Never log it.
    [[nodiscard]] std::string_view reveal() const;
    [[nodiscard]] bool equals(const SecretBytes& other) const;

private:
    void release() noexcept;

    unsigned char* data_ = nullptr;
    std::size_t size_ = 0;
};

}  // namespace credctl
