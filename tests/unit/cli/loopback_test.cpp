#include "cli/loopback/loopback.hpp"

#include <gtest/gtest.h>

namespace credctl::cli {
namespace {

constexpr std::string_view k_state = "s-123";

TEST(ParseCallback, PastedAddressWithRightStateGivesCodeAndIss) {
    auto cb =
        parse_callback("  http://127.0.0.1:4711/callback?code=C1&state=s-123&iss=https%3A%2F%2Fp.example\r\n", k_state);
    ASSERT_TRUE(cb.has_value()) << cb.error().message;
    EXPECT_EQ(cb->code, "C1");
    EXPECT_EQ(cb->iss, "https://p.example");
}

TEST(ParseCallback, OriginFormTargetIsAcceptedToo) {
    auto cb = parse_callback("/callback?state=s-123&code=C2", k_state);
    ASSERT_TRUE(cb.has_value());
    EXPECT_EQ(cb->code, "C2");
}

TEST(ParseCallback, WrongMissingOrLongerStateIsRefused) {
    for (const char* url : {"http://127.0.0.1:1/callback?code=C&state=s-124", "http://127.0.0.1:1/callback?code=C",
                            "http://127.0.0.1:1/callback?code=C&state=s-1234",
                            "http://127.0.0.1:1/callback?error=access_denied&state=nope"}) {
        auto cb = parse_callback(url, k_state);
        ASSERT_FALSE(cb.has_value()) << url;
        EXPECT_EQ(cb.error().code, Errc::bad_request);
        EXPECT_EQ(cb.error().message, "this answer does not belong to the login in progress (state mismatch)") << url;
    }
}

TEST(ParseCallback, ErrorWithRightStateIsBelieved) {
    auto cb = parse_callback("http://127.0.0.1:1/callback?error=access_denied&state=s-123", k_state);
    ASSERT_TRUE(cb.has_value());
    EXPECT_EQ(cb->error, "access_denied");
}

TEST(ParseCallback, OtherPathsGarbageAndMissingCodeAreRefused) {
    EXPECT_EQ(parse_callback("http://127.0.0.1:1/other?code=C&state=s-123", k_state).error().message,
              "not a redirect to this login's /callback");
    EXPECT_EQ(parse_callback("not a url at all", k_state).error().message, "not a redirect to this login's /callback");
    EXPECT_EQ(parse_callback("/callback?state=s-123", k_state).error().message,
              "the answer carries no authorization code");
}

}  // namespace
}  // namespace credctl::cli
