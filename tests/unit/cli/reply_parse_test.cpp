#include "cli/client/reply_parse.hpp"

#include <gtest/gtest.h>

#include <string>

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
        {"HTTP/1.0, a field name in lower case, spaces around the value",
         "HTTP/1.0 200 OK\r\ncontent-length:  2 \r\n\r\n{}", 200, "{}"},
        {"an empty reason, no fields", "HTTP/1.1 204 \r\n\r\n", 204, ""},
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
    for (const char* cut :
         {"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n{}", "HTTP/1.1 200 OK\r\nContent-Le", "HTT"}) {
        const auto r = parse_reply(cut);
        ASSERT_TRUE(r.has_value()) << cut << ": " << r.error().message;
        EXPECT_FALSE(r->has_value()) << cut;
    }
}

// On a connection kept open, an answer with a length ends there and the
// next one starts after it; one without a length needs the daemon to close.
TEST(ReplyParse, OnAnOpenConnectionTheLengthEndsTheAnswer) {
    const std::string first = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}";
    const std::string next = "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n";
    const auto r = read_reply(first + next, false);
    ASSERT_TRUE(r.has_value()) << r.error().message;
    ASSERT_TRUE(r->has_value());
    EXPECT_EQ((*r)->consumed, first.size());
    EXPECT_EQ((*r)->reply.body, "{}");
    const auto second = read_reply(next, false);
    ASSERT_TRUE(second.has_value() && second->has_value());
    EXPECT_EQ((*second)->reply.status, 404);

    const auto open = read_reply("HTTP/1.1 200 OK\r\n\r\n{}", false);
    ASSERT_TRUE(open.has_value()) << open.error().message;
    EXPECT_FALSE(open->has_value());
}

TEST(ReplyParse, AnswerOverTheLimitIsRefused) {
    const std::string head = "HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(k_max_reply_bytes + 1) + "\r\n\r\n";
    const std::string long_head = "HTTP/1.1 200 OK\r\nX: " + std::string(k_max_reply_head_bytes, 'a');
    const std::string endless = "HTTP/1.1 200 OK\r\n\r\n" + std::string(k_max_reply_bytes + 1, 'a');
    for (const auto& text : {head, long_head, endless}) {
        const auto r = read_reply(text, false);
        ASSERT_FALSE(r.has_value()) << text.substr(0, 60);
        EXPECT_EQ(r.error().code, Errc::daemon_unreachable);
    }
}

// What credd never sends is refused rather than guessed at.
TEST(ReplyParse, WhatCreddNeverSendsIsRefused) {
    const char* refused[] = {
        "SSH-2.0-OpenSSH_9.2\r\n",
        "HTTP/2.0 200 OK\r\n\r\n",
        "HTTP/1.1 200\r\n\r\n",
        "HTTP/1.1 2x0 OK\r\n\r\n",
        "HTTP/1.1 100 Continue\r\n\r\n",
        "HTTP/1.1 200 O\x01K\r\n\r\n",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n",
        "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 2\r\n\r\n{}",
        "HTTP/1.1 200 OK\r\nContent-Length: +2\r\n\r\n{}",
        "HTTP/1.1 200 OK\r\nContent-Length: 2 2\r\n\r\n{}",
        "HTTP/1.1 200 OK\r\nContent-Length: \r\n\r\n{}",
        "HTTP/1.1 200 OK\r\nX-Folded: a\r\n b\r\n\r\n",
        "HTTP/1.1 200 OK\r\nNo colon\r\n\r\n",
        "HTTP/1.1 200 OK\r\n: empty name\r\n\r\n",
        "HTTP/1.1 200 OK\r\nX: a\nb\r\n\r\n",
        "HTTP/1.1 200 OK\r\nX: a\x7f\r\n\r\n",
        "HTTP/1.1 200 OK\r\nConnection: close, upgrade\r\n\r\n",
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n",
        "HTTP/1.1 200 OK\r\nUpgrade: websocket\r\n\r\n",
    };
    for (const char* text : refused) {
        const auto r = parse_reply(text);
        ASSERT_FALSE(r.has_value()) << text;
        EXPECT_EQ(r.error().code, Errc::daemon_unreachable) << text;
    }
}

}  // namespace
}  // namespace credctl::cli
