#include "common/oauth/device_flow.hpp"

#include <gtest/gtest.h>

#include <deque>

namespace credctl::oauth {
namespace {

TEST(DeviceFlow, AuthorizationAnswerIsParsedWithDefaultInterval) {
    auto a = parse_device_authorization(
        200, R"({"device_code":"DC","user_code":"ABCD-EFGH","verification_uri":"https://p/device","expires_in":600})");
    ASSERT_TRUE(a.has_value()) << a.error().message;
    EXPECT_EQ(a->device_code.reveal(), "DC");
    EXPECT_EQ(a->user_code, "ABCD-EFGH");
    EXPECT_EQ(a->interval, 5);  // RFC 8628 §3.2 default
    EXPECT_EQ(a->expires_in, 600);
}

TEST(DeviceFlow, AuthorizationAnswerWithoutUserCodeOrWithBadIntervalIsRefused) {
    EXPECT_FALSE(parse_device_authorization(200, R"({"device_code":"DC","verification_uri":"u","expires_in":600})"));
    EXPECT_FALSE(parse_device_authorization(
        200, R"({"device_code":"DC","user_code":"U","verification_uri":"u","expires_in":600,"interval":0})"));
    EXPECT_FALSE(parse_device_authorization(200, "not json"));
    EXPECT_FALSE(parse_device_authorization(400, R"({"error":"invalid_client"})"));
}

TEST(DeviceFlow, PollAnswersMapToStates) {
    EXPECT_EQ(parse_device_poll(400, R"({"error":"authorization_pending"})")->state, PollState::pending);
    EXPECT_EQ(parse_device_poll(400, R"({"error":"slow_down"})")->state, PollState::slow_down);
    auto denied = parse_device_poll(400, R"({"error":"access_denied"})");
    ASSERT_FALSE(denied.has_value());
    EXPECT_EQ(denied.error().code, Errc::login_required);
    EXPECT_EQ(denied.error().message, "the login was denied on the verification page");
    auto expired = parse_device_poll(400, R"({"error":"expired_token"})");
    ASSERT_FALSE(expired.has_value());
    EXPECT_EQ(expired.error().message, "the device code expired before the login was completed");
    auto done = parse_device_poll(200, R"({"access_token":"AT","refresh_token":"RT","token_type":"Bearer"})");
    ASSERT_TRUE(done.has_value());
    EXPECT_EQ(done->state, PollState::done);
    EXPECT_EQ(done->tokens.refresh_token.reveal(), "RT");
}

TEST(DeviceFlow, BothFormsCarryTheResourceOnlyWhenConfigured) {
    ProviderConfig p;
    p.scopes = {"openid", "offline_access"};
    const SecretBytes code("DC", 2);
    EXPECT_EQ(device_authorization_form(p), "scope=openid%20offline_access");
    EXPECT_EQ(device_poll_form(p, code),
              "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Adevice_code&device_code=DC");
    p.resource = "https://api.example";
    EXPECT_EQ(device_authorization_form(p), "scope=openid%20offline_access&resource=https%3A%2F%2Fapi.example");
    EXPECT_EQ(device_poll_form(p, code),
              "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Adevice_code&device_code=DC"
              "&resource=https%3A%2F%2Fapi.example");
}

TEST(DeviceFlow, InvalidTargetIsLoginRequiredNamingTheResource) {
    auto a = parse_device_authorization(400, R"({"error":"invalid_target"})", "https://api.example");
    ASSERT_FALSE(a.has_value());
    EXPECT_EQ(a.error().code, Errc::login_required);
    EXPECT_EQ(a.error().message,
              "device authorization endpoint refused resource \"https://api.example\" (invalid_target, RFC 8707): the "
              "provider does not know it, or this login was not granted for it");
    auto poll = parse_device_poll(400, R"({"error":"invalid_target"})", "https://api.example");
    ASSERT_FALSE(poll.has_value());
    EXPECT_EQ(poll.error().code, Errc::login_required);
    EXPECT_NE(poll.error().message.find("token endpoint refused resource \"https://api.example\""), std::string::npos);
}

DeviceAuthorization authorization(std::int64_t expires_in, std::int64_t interval) {
    DeviceAuthorization a;
    a.expires_in = expires_in;
    a.interval = interval;
    return a;
}

TEST(DeviceFlow, WaitHonoursIntervalAndSlowDown) {
    std::deque<PollState> answers{PollState::pending, PollState::slow_down, PollState::pending, PollState::done};
    std::vector<std::int64_t> sleeps;
    auto t = wait_for_device_token(
        authorization(600, 2),
        [&]() -> Result<PollResult> {
            PollResult r{answers.front(), {}};
            answers.pop_front();
            return r;
        },
        [&](std::chrono::seconds s) { sleeps.push_back(s.count()); });
    ASSERT_TRUE(t.has_value()) << t.error().message;
    // 2, 2, then slow_down adds 5 for good: 7, 7.
    EXPECT_EQ(sleeps, (std::vector<std::int64_t>{2, 2, 7, 7}));
}

TEST(DeviceFlow, WaitStopsAtTheDeviceCodeExpiry) {
    int polls = 0;
    auto t = wait_for_device_token(
        authorization(12, 5),
        [&]() -> Result<PollResult> {
            ++polls;
            return PollResult{};
        },
        [](std::chrono::seconds) {});
    ASSERT_FALSE(t.has_value());
    EXPECT_EQ(t.error().code, Errc::login_required);
    EXPECT_EQ(polls, 2);  // at 5 s and 10 s; 15 s would be past 12 s
}

TEST(DeviceFlow, WaitEndsOnDenial) {
    auto t = wait_for_device_token(
        authorization(600, 1),
        []() -> Result<PollResult> {
            return make_error(Errc::login_required, "the login was denied on the verification page");
        },
        [](std::chrono::seconds) {});
    ASSERT_FALSE(t.has_value());
    EXPECT_EQ(t.error().message, "the login was denied on the verification page");
}

}  // namespace
}  // namespace credctl::oauth
