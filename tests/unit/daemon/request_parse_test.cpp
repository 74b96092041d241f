#include "daemon/server/request_parse.hpp"

#include <gtest/gtest.h>

namespace credctl::server {
namespace {

daemon::Limits small_limits() {
    return {.max_head_bytes = 1024, .max_body_bytes = 1024};
}

TEST(RequestParse, RequestWithBodyGivesMethodTargetAndBody) {
    const std::string bytes =
        "PUT /v1/users/alice/credentials/github HTTP/1.1\r\nHost: localhost\r\nContent-Length: 2\r\n\r\n{}";
    const auto r = parse_request(bytes, small_limits());
    ASSERT_TRUE(r.has_value()) << r.error().message;
    ASSERT_TRUE(r->has_value());
    EXPECT_EQ((*r)->request.method, "PUT");
    EXPECT_EQ((*r)->request.target, "/v1/users/alice/credentials/github");
    EXPECT_EQ((*r)->request.body, "{}");
    EXPECT_TRUE((*r)->keep_alive);
    EXPECT_EQ((*r)->consumed, bytes.size());
    EXPECT_EQ((*r)->head_bytes, bytes.size() - 2);
}

TEST(RequestParse, PipelinedRequestStartsWhereTheFirstEnds) {
    const std::string first = "GET /v1/status HTTP/1.1\r\nHost: x\r\n\r\n";
    const auto r = parse_request(first + "GET /v1/whoami HTTP/1.1\r\n", small_limits());
    ASSERT_TRUE(r.has_value() && r->has_value());
    EXPECT_EQ((*r)->consumed, first.size());
}

TEST(RequestParse, HeadOverTheLimitIsPayloadTooLarge) {
    const std::string bytes = "GET /v1/status HTTP/1.1\r\nX-Pad: " + std::string(2000, 'a') + "\r\n\r\n";
    const auto r = parse_request(bytes, small_limits());
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error().code, Errc::payload_too_large);
    EXPECT_EQ(r.error().message, "request head larger than 1024 bytes");
}

TEST(RequestParse, HeadOverTheLimitWithALongRequestLineIsPayloadTooLarge) {
    // Beast counts the fields apart from the request line: 600 bytes of
    // each passed a 1024-byte limit.
    const std::string bytes =
        "GET /v1/status?" + std::string(600, 'a') + " HTTP/1.1\r\nX-Pad: " + std::string(600, 'b') + "\r\n\r\n";
    const auto r = parse_request(bytes, small_limits());
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error().code, Errc::payload_too_large);
    EXPECT_EQ(r.error().message, "request head larger than 1024 bytes");
}

TEST(RequestParse, HeadOfExactlyTheLimitIsRead) {
    const std::string start = "GET /v1/status HTTP/1.1\r\nX-Pad: ";
    const std::string bytes = start + std::string(1024 - start.size() - 4, 'a') + "\r\n\r\n";
    ASSERT_EQ(bytes.size(), 1024u);
    const auto r = parse_request(bytes, small_limits());
    ASSERT_TRUE(r.has_value()) << r.error().message;
    ASSERT_TRUE(r->has_value());
    EXPECT_EQ((*r)->head_bytes, 1024u);
}

TEST(RequestParse, AnnouncedBodyOverTheLimitIsRefusedBeforeItIsRead) {
    const auto r = parse_request("PUT /v1/x HTTP/1.1\r\nContent-Length: 1025\r\n\r\n", small_limits());
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error().code, Errc::payload_too_large);
    EXPECT_EQ(r.error().message, "request body larger than 1024 bytes");
}

TEST(RequestParse, AChunkedBodyIsRefusedOnceTheHeadIsRead) {
    // Neither a chunk's size line nor the trailer has a limit in Beast: a
    // chunked request is refused before any of its body is read, however
    // small it says it is.
    for (const std::string& body :
         {std::string("2\r\n{}\r\n0\r\n\r\n"), std::string("1;") + std::string(4000, 'a'), std::string()}) {
        const auto r = parse_request("PUT /v1/x HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n" + body, small_limits());
        ASSERT_FALSE(r.has_value());
        EXPECT_EQ(r.error().code, Errc::bad_request);
        EXPECT_EQ(r.error().message, "Transfer-Encoding is not accepted: send the body with Content-Length");
    }
}

TEST(RequestParse, AnyTransferEncodingIsRefused) {
    // Beast reads a coding other than chunked as a request without a body:
    // what follows would be read as the next request.
    for (const char* coding : {"gzip", "chunked, gzip", "identity"}) {
        const auto r = parse_request(std::string("PUT /v1/x HTTP/1.1\r\nTransfer-Encoding: ") + coding +
                                         "\r\n\r\nGET /v1/status HTTP/1.1\r\n\r\n",
                                     small_limits());
        ASSERT_FALSE(r.has_value()) << coding;
        EXPECT_EQ(r.error().code, Errc::bad_request) << coding;
    }
    const auto with_length =
        parse_request("PUT /v1/x HTTP/1.1\r\nTransfer-Encoding: gzip\r\nContent-Length: 2\r\n\r\n{}", small_limits());
    EXPECT_FALSE(with_length.has_value());
}

TEST(RequestParse, IncompleteRequestAsksForMore) {
    const auto head = parse_request("GET /v1/status HTTP/1.1\r\nHost:", small_limits());
    ASSERT_TRUE(head.has_value());
    EXPECT_FALSE(head->has_value());
    const auto body = parse_request("PUT /v1/x HTTP/1.1\r\nContent-Length: 5\r\n\r\nab", small_limits());
    ASSERT_TRUE(body.has_value());
    EXPECT_FALSE(body->has_value());
}

TEST(RequestParse, MalformedRequestIsBadRequest) {
    const auto r = parse_request("GET\x01 / HTTP/1.1\r\n\r\n", small_limits());
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error().code, Errc::bad_request);
}

}  // namespace
}  // namespace credctl::server
