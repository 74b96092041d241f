#include "common/secret/secret_bytes.hpp"

#include <gtest/gtest.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace credctl {
namespace {

TEST(SecretBytes, DefaultIsEmpty) {
    SecretBytes s;
    EXPECT_TRUE(s.empty());
    EXPECT_EQ(s.size(), 0u);
    EXPECT_EQ(s.reveal(), "");
}

TEST(SecretBytes, RevealReturnsTheBytes) {
    const auto s = SecretBytes::from("hunter2");
    EXPECT_FALSE(s.empty());
    EXPECT_EQ(s.size(), 7u);
    EXPECT_EQ(s.reveal(), "hunter2");
}

TEST(SecretBytes, HoldsEmbeddedNulBytes) {
    const char raw[] = {'a', '\0', 'b'};
    SecretBytes s(raw, sizeof raw);
    EXPECT_EQ(s.size(), 3u);
    EXPECT_EQ(s.reveal(), std::string_view(raw, 3));
}

TEST(SecretBytes, MoveConstructionLeavesSourceEmpty) {
    auto a = SecretBytes::from("secret");
    SecretBytes b(std::move(a));
    EXPECT_TRUE(a.empty());  // NOLINT(bugprone-use-after-move): the documented moved-from state
    EXPECT_EQ(a.size(), 0u);
    EXPECT_EQ(b.reveal(), "secret");
}

TEST(SecretBytes, MoveAssignmentLeavesSourceEmptyAndReplacesTarget) {
    auto a = SecretBytes::from("first");
    auto b = SecretBytes::from("second");
    b = std::move(a);
    EXPECT_TRUE(a.empty());  // NOLINT(bugprone-use-after-move)
    EXPECT_EQ(b.reveal(), "first");
}

TEST(SecretBytes, EqualsComparesContent) {
    const auto a = SecretBytes::from("same");
    const auto b = SecretBytes::from("same");
    const auto c = SecretBytes::from("diff");
    const auto d = SecretBytes::from("same-but-longer");
    EXPECT_TRUE(a.equals(b));
    EXPECT_FALSE(a.equals(c));
    EXPECT_FALSE(a.equals(d));
    EXPECT_TRUE(SecretBytes().equals(SecretBytes()));
    EXPECT_FALSE(a.equals(SecretBytes()));
}

TEST(SecretBytes, CloneIsAnIndependentEqualCopy) {
    auto a = SecretBytes::from("token");
    auto b = a.clone();
    EXPECT_TRUE(a.equals(b));
    EXPECT_NE(a.data(), b.data());
    b.data()[0] = 'T';
    EXPECT_EQ(a.reveal(), "token");
    EXPECT_EQ(b.reveal(), "Token");
}

TEST(SecretBytes, ZeroedHasRequestedSizeOfZeros) {
    auto s = SecretBytes::zeroed(16);
    ASSERT_EQ(s.size(), 16u);
    for (std::size_t i = 0; i < s.size(); ++i) EXPECT_EQ(s.data()[i], 0) << i;
}

TEST(SecretBytes, ReleasedRegionIsZeroedThenReusedForTheSameSize) {
    const unsigned char* where = nullptr;
    {
        auto s = SecretBytes::from("a pooled secret");
        where = s.data();
    }
    // The region stays mapped in the pool: it must hold no trace of the secret.
    const volatile unsigned char* stale = where;
    for (std::size_t i = 0; i < 15; ++i) EXPECT_EQ(stale[i], 0) << "byte " << i;
    auto other_size = SecretBytes::from("shorter");
    EXPECT_NE(other_size.data(), where) << "a region is reused only for a secret of its own size";
    auto same_size = SecretBytes::from("another secret!");
    EXPECT_EQ(same_size.data(), where);
    EXPECT_EQ(same_size.reveal(), "another secret!");
}

// A region released on a thread whose own pool is full is kept for all
// threads: another thread's secret of that size gets it, zeroed, without a
// new guarded allocation.
TEST(SecretBytes, ARegionReleasedOnOneThreadServesAnother) {
    constexpr std::size_t k_size = 1237;  // no other test uses it
    const unsigned char* where = nullptr;
    std::thread releasing([&where] {
        std::vector<SecretBytes> fill;
        for (std::size_t i = 0; i < 16; ++i) fill.push_back(SecretBytes::zeroed(2000 + i));
        auto secret = SecretBytes::from(std::string(k_size, 's'));
        where = secret.data();
        fill.clear();  // this thread's pool is now full
        secret = SecretBytes();
    });
    releasing.join();
    // Still mapped (msync(2) fails with ENOMEM on an unmapped page): kept.
    const auto page = reinterpret_cast<std::uintptr_t>(where) & ~(static_cast<std::uintptr_t>(::getpagesize()) - 1);
    ASSERT_EQ(::msync(reinterpret_cast<void*>(page), 1, MS_ASYNC), 0) << "the region was unmapped, not kept";
    const volatile unsigned char* stale = where;
    for (std::size_t i = 0; i < k_size; ++i) ASSERT_EQ(stale[i], 0) << "byte " << i;
    auto reused = SecretBytes::from(std::string(k_size, 'r'));
    EXPECT_EQ(reused.data(), where);
    EXPECT_EQ(reused.reveal(), std::string(k_size, 'r'));
}

}  // namespace
}  // namespace credctl
