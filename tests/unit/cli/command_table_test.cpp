#include "cli/commands/command.hpp"

#include <gtest/gtest.h>

#include <stdexcept>

namespace credctl::cli {
namespace {

TEST(RunGuarded, PassesOnWhatTheRunnerReturns) {
    EXPECT_TRUE(run_guarded([]() -> Result<void> { return {}; }).has_value());
    const auto r = run_guarded([]() -> Result<void> { return make_error(Errc::not_found, "no such provider: x"); });
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error().code, Errc::not_found);
    EXPECT_EQ(r.error().message, "no such provider: x");
}

TEST(RunGuarded, AnEscapedExceptionIsAnInternalErrorNamedABug) {
    const auto r = run_guarded([]() -> Result<void> { throw std::runtime_error("leftover [boost.url.bnf:4]"); });
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error().code, Errc::internal);
    EXPECT_EQ(exit_code(r.error().code), 1);
    EXPECT_EQ(r.error().message, "internal error (a bug in credctl): unexpected exception: leftover [boost.url.bnf:4]");
    const auto other = run_guarded([]() -> Result<void> { throw 42; });
    ASSERT_FALSE(other.has_value());
    EXPECT_EQ(other.error().message, "internal error (a bug in credctl): unexpected exception");
}

}  // namespace
}  // namespace credctl::cli
