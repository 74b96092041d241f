// Guarded pages: the memory under SecretBytes (secret_bytes.hpp).
//
// Each secret gets a mapping of its own: an inaccessible page, the pages
// that hold the secret, an inaccessible page. The secret's pages are locked
// in RAM, so they never reach swap, and left out of core dumps. The secret
// ends right at the second guard page, so that reading or writing past its
// end faults at once; the bytes just before it hold a canary, checked when
// the memory is freed, so that an underrun aborts then. This is libsodium's
// sodium_malloc, without its need for sodium_init(): that reads the CPU's
// features with `cpuid`, which traps to the hypervisor on a virtual machine
// (about 60 µs, the largest single cost left of a `credctl token` that
// needs no cryptography at all; docs/benchmarks.md, "credctl start-up").
//
// As with sodium_malloc, a refused mlock(2) (RLIMIT_MEMLOCK) is not an
// error: the secret is still kept between guard pages and out of core dumps.
//
// Thread-safety: both functions may be called from any thread.
#pragma once

#include <cstddef>

namespace credctl::secret {

// `size` (> 0) zero bytes in guarded pages, or nullptr when they cannot be
// mapped. The caller frees them with guarded_free(p, size).
[[nodiscard]] unsigned char* guarded_alloc(std::size_t size) noexcept;

// Zeroes the `size` bytes at `p` (from guarded_alloc(size)) and unmaps their
// pages. Aborts, naming no secret, if the canary before them was overwritten.
void guarded_free(unsigned char* p, std::size_t size) noexcept;

}  // namespace credctl::secret
