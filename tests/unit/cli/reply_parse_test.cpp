#include "cli/client/reply_parse.hpp"

#include <gtest/gtest.h>

namespace credctl::cli {
namespace {

// A whole answer gives its status and body, however its end is marked.
TEST(ReplyParse, AWholeAnswerGivesStatusAndBody) {
    struct Whole {
        const char* what;
        std::string text;
        int status;
        const char* body;
    };
    const Whole answers[] = {
        {"with a length", "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}", 200, "{}"},
        {"without a length, ended when the daemon closes",
         "HTTP/1.1 429 Too Many Requests\r\nConnection: close\r\n\r\n{\"code\":\"x\"}", 429, "{\"code\":\"x\"}"},
    };
    for (const auto& a : answers) {
        const auto r = parse_reply(a.text);
        ASSERT_TRUE(r.has_value()) << a.what << ": " << r.error().message;
        ASSERT_TRUE(r->has_value()) << a.what;
        EXPECT_EQ((*r)->status, a.status) << a.what;
        EXPECT_EQ((*r)->body, a.body) << a.what;
    }
}

TEST(ReplyParse, AnswerCutShortIsIncomplete) {
    const auto r = parse_reply("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n{}");
    ASSERT_TRUE(r.has_value()) << r.error().message;
    EXPECT_FALSE(r->has_value());
}

TEST(ReplyParse, AnswerOverTheLimitIsRefused) {
    const std::string head = "HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(k_max_reply_bytes + 1) + "\r\n\r\n";
    const auto r = parse_reply(head);
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error().code, Errc::daemon_unreachable);
}

TEST(ReplyParse, GarbageIsRefused) {
    const auto r = parse_reply("SSH-2.0-OpenSSH_9.2\r\n");
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error().code, Errc::daemon_unreachable);
}

}  // namespace
}  // namespace credctl::cli
