#include "common/error/error.hpp"

#include <gtest/gtest.h>

#include <array>
#include <string>

namespace credctl {
namespace {

constexpr std::array k_all_codes{
    Errc::bad_request,
    Errc::forbidden,
    Errc::not_found,
    Errc::login_required,
    Errc::provider_unavailable,
    Errc::payload_too_large,
    Errc::too_many_requests,
    Errc::store_full,
    Errc::daemon_unreachable,
    Errc::usage,
    Errc::internal,
};

TEST(Errc, EveryCodeRoundTripsThroughItsWireName) {
    for (Errc code : k_all_codes) {
        const std::string_view name = to_string(code);
        EXPECT_FALSE(name.empty());
        EXPECT_EQ(errc_from_string(name), code) << name;
    }
}

TEST(Errc, WireNamesAreTheEnumeratorSpellings) {
    EXPECT_EQ(to_string(Errc::bad_request), "bad_request");
    EXPECT_EQ(to_string(Errc::forbidden), "forbidden");
    EXPECT_EQ(to_string(Errc::not_found), "not_found");
    EXPECT_EQ(to_string(Errc::login_required), "login_required");
    EXPECT_EQ(to_string(Errc::provider_unavailable), "provider_unavailable");
    EXPECT_EQ(to_string(Errc::payload_too_large), "payload_too_large");
    EXPECT_EQ(to_string(Errc::too_many_requests), "too_many_requests");
    EXPECT_EQ(to_string(Errc::store_full), "store_full");
    EXPECT_EQ(to_string(Errc::daemon_unreachable), "daemon_unreachable");
    EXPECT_EQ(to_string(Errc::usage), "usage");
    EXPECT_EQ(to_string(Errc::internal), "internal");
}

TEST(Errc, UnknownWireNameMapsToInternal) {
    EXPECT_EQ(errc_from_string("no_such_code"), Errc::internal);
    EXPECT_EQ(errc_from_string(""), Errc::internal);
    EXPECT_EQ(errc_from_string("FORBIDDEN"), Errc::internal);
}

TEST(Errc, ExitCodesMatchTheDocumentedValues) {
    EXPECT_EQ(exit_code(Errc::internal), 1);
    EXPECT_EQ(exit_code(Errc::usage), 2);
    EXPECT_EQ(exit_code(Errc::forbidden), 3);
    EXPECT_EQ(exit_code(Errc::login_required), 4);
    EXPECT_EQ(exit_code(Errc::provider_unavailable), 5);
    EXPECT_EQ(exit_code(Errc::daemon_unreachable), 6);
}

TEST(Errc, HttpStatusesMatchTheApi) {
    EXPECT_EQ(http_status(Errc::bad_request), 400);
    EXPECT_EQ(http_status(Errc::forbidden), 403);
    EXPECT_EQ(http_status(Errc::not_found), 404);
    EXPECT_EQ(http_status(Errc::login_required), 409);
    EXPECT_EQ(http_status(Errc::provider_unavailable), 502);
    EXPECT_EQ(http_status(Errc::payload_too_large), 413);
    EXPECT_EQ(http_status(Errc::too_many_requests), 429);
    EXPECT_EQ(http_status(Errc::store_full), 507);
    EXPECT_EQ(http_status(Errc::daemon_unreachable), 503);
    EXPECT_EQ(http_status(Errc::internal), 500);
}

TEST(Errc, EveryHttpStatusIsAnErrorStatus) {
    for (Errc code : k_all_codes) {
        EXPECT_GE(http_status(code), 400) << to_string(code);
        EXPECT_LT(http_status(code), 600) << to_string(code);
    }
}

TEST(Error, MakeErrorKeepsCodeAndMessage) {
    const Error e = make_error(Errc::not_found, "no credential alice/github");
    EXPECT_EQ(e.code, Errc::not_found);
    EXPECT_EQ(e.message, "no credential alice/github");
}

TEST(Error, ValueOfFailedResultThrowsWithCodeAndMessage) {
    Result<int> r = make_error(Errc::forbidden, "nope");
    try {
        (void)r.value();
        FAIL() << "value() did not throw";
    } catch (const std::exception& ex) {
        EXPECT_STREQ(ex.what(), "forbidden: nope");
    }
}

TEST(Attempt, NothingAttemptedIsAnInternalFailureNotWorthRetrying) {
    const Attempt<int> a;
    ASSERT_FALSE(a.result.has_value());
    EXPECT_EQ(a.result.error().code, Errc::internal);
    EXPECT_EQ(a.result.error().message, "not attempted");
    EXPECT_FALSE(a.retryable);
}

}  // namespace
}  // namespace credctl
