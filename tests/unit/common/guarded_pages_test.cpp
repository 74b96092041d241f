// Guarded pages as memory: zero when given, bounded by a guard page on each
// side, locked and left out of core dumps (as the kernel reports the
// mapping in /proc/self/smaps), and a canary that catches an underrun.
#include "common/secret/guarded_pages.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdint>
#include <cstring>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>

namespace credctl::secret {
namespace {

// The VmFlags line of the mapping that holds `p`, if any.
std::optional<std::string> vm_flags_of(const void* p) {
    const auto address = reinterpret_cast<std::uintptr_t>(p);
    std::ifstream smaps("/proc/self/smaps");
    std::string line;
    bool inside = false;
    while (std::getline(smaps, line)) {
        std::uintptr_t from = 0;
        std::uintptr_t to = 0;
        char dash = 0;
        std::istringstream head(line);
        if (head >> std::hex >> from >> dash >> to && dash == '-') {
            inside = from <= address && address < to;
        } else if (inside && line.rfind("VmFlags:", 0) == 0) {
            return line;
        }
    }
    return std::nullopt;
}

bool has_flag(const std::string& flags, const std::string& flag) {
    return (flags + " ").find(" " + flag + " ") != std::string::npos;
}

TEST(GuardedPages, GivesZeroBytesThatHoldWhatIsWritten) {
    for (const std::size_t size : {1UL, 15UL, 16UL, 4079UL, 4080UL, 4081UL, 4096UL, 10000UL}) {
        unsigned char* p = guarded_alloc(size);
        ASSERT_NE(p, nullptr) << size;
        for (std::size_t i = 0; i < size; ++i) ASSERT_EQ(p[i], 0) << "byte " << i << " of " << size;
        std::memset(p, 0xA5, size);
        EXPECT_EQ(p[size - 1], 0xA5);
        guarded_free(p, size);
    }
}

TEST(GuardedPages, RefusesNothingAndTheImpossible) {
    EXPECT_EQ(guarded_alloc(0), nullptr);
    EXPECT_EQ(guarded_alloc(SIZE_MAX - 8), nullptr);
    guarded_free(nullptr, 0);  // like free(nullptr)
}

TEST(GuardedPages, AreLockedAndLeftOutOfCoreDumps) {
    unsigned char* p = guarded_alloc(64);
    ASSERT_NE(p, nullptr);
    const auto flags = vm_flags_of(p);
    ASSERT_TRUE(flags.has_value()) << "no mapping holds the secret";
    EXPECT_TRUE(has_flag(*flags, "dd")) << "not left out of core dumps: " << *flags;
#if !defined(__SANITIZE_ADDRESS__)  // AddressSanitizer makes mlock() a no-op
    EXPECT_TRUE(has_flag(*flags, "lo")) << "not locked in RAM: " << *flags;
#endif
    EXPECT_TRUE(has_flag(*flags, "rd") && has_flag(*flags, "wr")) << *flags;
    guarded_free(p, 64);
}

TEST(GuardedPages, EndRightAtAnInaccessibleGuardPage) {
    for (const std::size_t size : {1UL, 100UL, 4096UL}) {
        unsigned char* p = guarded_alloc(size);
        ASSERT_NE(p, nullptr);
        const auto after = vm_flags_of(p + size);
        ASSERT_TRUE(after.has_value()) << "the page after the secret is not mapped at all";
        EXPECT_FALSE(has_flag(*after, "rd") || has_flag(*after, "wr")) << *after;
        guarded_free(p, size);
    }
}

TEST(GuardedPages, WritingPastTheEndFaults) {
    GTEST_FLAG_SET(death_test_style, "threadsafe");
    EXPECT_DEATH(
        {
            volatile unsigned char* p = guarded_alloc(100);
            p[100] = 1;
        },
        "");
}

TEST(GuardedPages, WritingBeforeTheSecretsPagesFaults) {
    GTEST_FLAG_SET(death_test_style, "threadsafe");
    const auto page = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
    // A secret of a page less its canary starts its pages with the canary.
    const std::size_t size = page - 16;
    EXPECT_DEATH(
        {
            volatile unsigned char* p = guarded_alloc(size);
            p[-17] = 1;
        },
        "");
}

TEST(GuardedPages, AnOverwrittenCanaryAbortsTheFree) {
    GTEST_FLAG_SET(death_test_style, "threadsafe");
    EXPECT_DEATH(
        {
            unsigned char* p = guarded_alloc(100);
            p[-1] ^= 1;
            guarded_free(p, 100);
        },
        "the memory before a secret was overwritten");
}

}  // namespace
}  // namespace credctl::secret
