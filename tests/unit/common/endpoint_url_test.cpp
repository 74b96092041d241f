#include "common/net/endpoint_url.hpp"

#include <gtest/gtest.h>

#include <string>

namespace credctl::net {
namespace {

TEST(EndpointUrl, HttpsIsAcceptedEitherWay) {
    for (auto plain_http : {PlainHttp::loopback, PlainHttp::refused}) {
        EXPECT_EQ(endpoint_url_problem("https://login.example/token?a=b", plain_http), std::nullopt);
        EXPECT_EQ(endpoint_url_problem("https://127.0.0.1:8443", plain_http), std::nullopt);
    }
}

TEST(EndpointUrl, PlainHttpOnlyToLoopbackAndOnlyWhenAllowed) {
    EXPECT_EQ(endpoint_url_problem("http://127.0.0.1:9000/auth", PlainHttp::loopback), std::nullopt);
    EXPECT_EQ(endpoint_url_problem("http://[::1]:9000/auth", PlainHttp::loopback), std::nullopt);
    EXPECT_EQ(endpoint_url_problem("http://localhost/auth", PlainHttp::loopback), std::nullopt);
    EXPECT_EQ(endpoint_url_problem("http://evil.example/auth", PlainHttp::loopback),
              "plain http is allowed only for loopback hosts");
    EXPECT_EQ(endpoint_url_problem("http://127.0.0.1:9000/auth", PlainHttp::refused),
              "plain http is allowed only under a loopback http issuer");
}

TEST(EndpointUrl, WhatIsNoHttpUrlWithAHostIsRefused) {
    EXPECT_EQ(endpoint_url_problem("javascript:alert(1)", PlainHttp::loopback), "not an http(s) URL");
    EXPECT_EQ(endpoint_url_problem("HTTPS://login.example", PlainHttp::loopback), "not an http(s) URL");
    EXPECT_EQ(endpoint_url_problem("http://127.0.0.1:1/a b", PlainHttp::loopback),
              "not a valid absolute URL without a fragment");
    EXPECT_EQ(endpoint_url_problem("https://login.example/a#top", PlainHttp::loopback),
              "not a valid absolute URL without a fragment");
    EXPECT_EQ(endpoint_url_problem("https:///token", PlainHttp::loopback), "not a URL with a host");
    // Boost.URL 1.81 reads the host as 127.0.0.1 and the rest as a path.
    EXPECT_EQ(endpoint_url_problem("http://127.0.0.1.evil.example/x", PlainHttp::loopback), "not a URL with a host");
}

TEST(EndpointUrl, QuotedForMessageEscapesWhatATerminalOrALogWouldObey) {
    EXPECT_EQ(quoted_for_message("https://a.example/x?y=1"), "\"https://a.example/x?y=1\"");
    EXPECT_EQ(quoted_for_message("a\x1b[2J\r\n\x7f\"\\\xc3\xa9"), "\"a\\x1b[2J\\x0d\\x0a\\x7f\\x22\\x5c\\xc3\\xa9\"");
    EXPECT_EQ(quoted_for_message(std::string_view("a\0b", 3)), "\"a\\x00b\"");
}

TEST(EndpointUrl, QuotedForMessageCutsALongValue) {
    const std::string long_value(k_max_quoted_bytes + 1, 'u');
    EXPECT_EQ(quoted_for_message(long_value), "\"" + std::string(k_max_quoted_bytes, 'u') + "\"...");
    const std::string exact(k_max_quoted_bytes, 'u');
    EXPECT_EQ(quoted_for_message(exact), "\"" + exact + "\"");
}

}  // namespace
}  // namespace credctl::net
