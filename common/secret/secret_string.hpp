// SecretString: the buffer for secrets in transit, the bytes of a request or
// an answer that carry a token, an authorization code, a PKCE verifier or a
// client secret on their way between a socket and a SecretBytes.
//
// It is a std::string whose memory is zeroed whenever it is given back: its
// allocator (ZeroingAllocator) zeroes every block before freeing it, so a
// string that grows leaves no copy behind, and its destructor zeroes the
// bytes kept inside the object itself (short strings). Beast bodies, header
// fields and buffers that carry secrets use ZeroingAllocator too
// (secret_http.hpp); Boost.JSON values that hold secrets use the zeroing
// storage of secret_json.hpp. Nothing that holds a secret needs a manual wipe.
//
// SecretBytes is for secrets at rest in memory (guarded pages, locked);
// SecretString is ordinary heap memory that is never freed unzeroed: cheap
// enough for every request and answer, with the one promise that a secret
// does not outlive the value that held it.
//
// Thread-safety: like std::string.
#pragma once

#include <sodium.h>

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

namespace credctl {

// Frees its memory zeroed. Stateless; every instance is interchangeable.
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

using ZeroingString = std::basic_string<char, std::char_traits<char>, ZeroingAllocator<char>>;

class SecretString : public ZeroingString {
public:
    using ZeroingString::ZeroingString;
    using ZeroingString::operator=;
    SecretString() = default;
    SecretString(const ZeroingString& s) : ZeroingString(s) {}                 // NOLINT(google-explicit-constructor)
    SecretString(ZeroingString&& s) noexcept : ZeroingString(std::move(s)) {}  // NOLINT(google-explicit-constructor)
    explicit SecretString(std::string_view s) : ZeroingString(s.data(), s.size()) {}
    // From a std::string that holds no secret (a problem document, a list).
    SecretString(const std::string& s) : ZeroingString(s.data(), s.size()) {}  // NOLINT(google-explicit-constructor)
    SecretString(const SecretString&) = default;
    SecretString(SecretString&&) noexcept = default;
    SecretString& operator=(const SecretString&) = default;
    SecretString& operator=(SecretString&&) noexcept = default;
    // Zeroes what the object itself holds (a short string is kept inside
    // it); the allocator zeroes a heap block as the base frees it.
    ~SecretString() { sodium_memzero(data(), capacity()); }

    [[nodiscard]] std::string_view view() const { return {data(), size()}; }
    // Appends `s` to the string.
    SecretString& operator+=(std::string_view s) {
        append(s.data(), s.size());
        return *this;
    }
    SecretString& operator+=(char c) {
        push_back(c);
        return *this;
    }
};

}  // namespace credctl
