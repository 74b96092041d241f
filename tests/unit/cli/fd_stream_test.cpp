#include "cli/client/fd_stream.hpp"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>
#include <boost/asio/error.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>

#include <array>
#include <cerrno>
#include <stdexcept>
#include <string>

namespace credctl::cli {
namespace {

namespace http = boost::beast::http;

struct Pair {
    FdStream ours;
    int theirs = -1;
    Pair() {
        int fds[2];
        if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0) throw std::runtime_error("socketpair");
        ours = FdStream(fds[0]);
        theirs = fds[1];
    }
    ~Pair() {
        if (theirs >= 0) ::close(theirs);
    }
};

TEST(FdStream, WritesSeveralBuffersAndReadsThemBack) {
    Pair p;
    const std::array<boost::asio::const_buffer, 3> out{boost::asio::buffer("GET", 3), boost::asio::buffer(" /", 2),
                                                       boost::asio::buffer(" x", 2)};
    boost::system::error_code ec;
    EXPECT_EQ(p.ours.write_some(out, ec), 7u);
    EXPECT_FALSE(ec);
    char got[16] = {};
    ASSERT_EQ(::read(p.theirs, got, sizeof got), 7);
    EXPECT_EQ(std::string(got, 7), "GET / x");
    ASSERT_EQ(::write(p.theirs, "answer", 6), 6);
    char in[16] = {};
    EXPECT_EQ(p.ours.read_some(boost::asio::buffer(in), ec), 6u);
    EXPECT_FALSE(ec);
    EXPECT_EQ(std::string(in, 6), "answer");
}

TEST(FdStream, TheEndOfTheStreamIsEof) {
    Pair p;
    ::close(p.theirs);
    p.theirs = -1;
    char in[16];
    boost::system::error_code ec;
    EXPECT_EQ(p.ours.read_some(boost::asio::buffer(in), ec), 0u);
    EXPECT_EQ(ec, boost::asio::error::eof);
}

TEST(FdStream, WritingToAClosedPeerIsEpipeNotSigpipe) {
    Pair p;
    ::close(p.theirs);
    p.theirs = -1;
    boost::system::error_code ec;
    EXPECT_EQ(p.ours.write_some(boost::asio::buffer("x", 1), ec), 0u);  // SIGPIPE would end this test binary
    EXPECT_EQ(ec, boost::asio::error::broken_pipe) << ec.message();
    EXPECT_THROW((void)p.ours.write_some(boost::asio::buffer("x", 1)), boost::system::system_error);
}

TEST(FdStream, ATimeoutIsAnErrorNotAHang) {
    Pair p;
    const timeval tv{0, 50'000};
    ASSERT_EQ(::setsockopt(p.ours.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv), 0);
    char in[4];
    boost::system::error_code ec;
    EXPECT_EQ(p.ours.read_some(boost::asio::buffer(in), ec), 0u);
    EXPECT_TRUE(ec == boost::system::error_code(EAGAIN, boost::system::system_category()) ||
                ec == boost::system::error_code(EWOULDBLOCK, boost::system::system_category()))
        << ec.message();
}

TEST(FdStream, MovingHandsOverTheDescriptorAndDestructionClosesIt) {
    int fds[2];
    ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds), 0);
    {
        FdStream a(fds[0]);
        FdStream b(std::move(a));
        EXPECT_EQ(a.native_handle(), -1);  // NOLINT(bugprone-use-after-move): the moved-from state is the contract
        EXPECT_EQ(b.native_handle(), fds[0]);
    }
    char c;
    EXPECT_EQ(::read(fds[1], &c, 1), 0);  // our end is closed: end of stream
    ::close(fds[1]);
}

TEST(FdStream, CarriesBeastsSynchronousHttp) {
    Pair p;
    http::request<http::string_body> req{http::verb::get, "/v1/status", 11};
    req.set(http::field::host, "localhost");
    req.prepare_payload();
    boost::system::error_code ec;
    http::write(p.ours, req, ec);
    ASSERT_FALSE(ec) << ec.message();
    char got[256] = {};
    const ssize_t n = ::read(p.theirs, got, sizeof got);
    ASSERT_GT(n, 0);
    EXPECT_EQ(std::string(got, static_cast<std::size_t>(n)).rfind("GET /v1/status HTTP/1.1\r\n", 0), 0u);

    const std::string answer = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
    ASSERT_EQ(::write(p.theirs, answer.data(), answer.size()), static_cast<ssize_t>(answer.size()));
    boost::beast::flat_buffer buffer;
    http::response<http::string_body> res;
    http::read(p.ours, buffer, res, ec);  // stops at Content-Length: the peer has not closed
    ASSERT_FALSE(ec) << ec.message();
    EXPECT_EQ(res.result_int(), 200u);
    EXPECT_EQ(res.body(), "ok");
}

}  // namespace
}  // namespace credctl::cli
