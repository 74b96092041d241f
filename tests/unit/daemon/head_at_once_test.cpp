// head_at_once (daemon/server/session_state.hpp): a request head already
// waiting on a session's socket is read in one call and parsed as Beast's
// async_read_header would; anything less is left for that read.
#include "common/secret/secret_http.hpp"
#include "daemon/server/request_parse.hpp"
#include "daemon/server/session_state.hpp"

#include <gtest/gtest.h>
#include <boost/asio/io_context.hpp>
#include <boost/asio/local/connect_pair.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>

#include <string>

namespace credctl::server {
namespace {

namespace asio = boost::asio;
namespace http = boost::beast::http;
using local = asio::local::stream_protocol;
using Parser = http::request_parser<SecretBody, ZeroingAllocator<char>>;

class HeadAtOnce : public ::testing::Test {
protected:
    HeadAtOnce() {
        asio::local::connect_pair(server_, client_);
        server_.non_blocking(true);
        apply_request_limits(parser_, limits_);
    }
    void send(const std::string& bytes) { asio::write(client_, asio::buffer(bytes)); }
    std::string left() const { return {static_cast<const char*>(buffer_.data().data()), buffer_.size()}; }

    asio::io_context io_;
    local::socket server_{io_};
    local::socket client_{io_};
    daemon::Limits limits_{.max_head_bytes = 1024, .max_body_bytes = 1024};
    SecretBuffer buffer_{request_buffer_limit(limits_)};
    Parser parser_;
    std::size_t head_bytes_ = 99;
    boost::system::error_code ec_;
};

TEST_F(HeadAtOnce, AWholeHeadIsTakenAndWhatFollowsStaysInTheBuffer) {
    const std::string head = "GET /v1/status HTTP/1.1\r\nHost: localhost\r\n\r\n";
    send(head + "GET /v1/whoami HTTP/1.1\r\n");
    ASSERT_TRUE(head_at_once(server_, buffer_, parser_, head_bytes_, ec_));
    EXPECT_FALSE(ec_) << ec_.message();
    EXPECT_TRUE(parser_.is_header_done());
    EXPECT_EQ(parser_.get().target(), "/v1/status");
    EXPECT_EQ(head_bytes_, head.size());
    EXPECT_EQ(left(), "GET /v1/whoami HTTP/1.1\r\n");
}

TEST_F(HeadAtOnce, NothingWaitingLeavesTheReadToBeast) {
    EXPECT_FALSE(head_at_once(server_, buffer_, parser_, head_bytes_, ec_));
    EXPECT_FALSE(ec_);
    EXPECT_EQ(head_bytes_, 0u);
    EXPECT_EQ(buffer_.size(), 0u);
    EXPECT_FALSE(parser_.got_some());
}

TEST_F(HeadAtOnce, ARequestLineWhoseFieldsAreToComeCountsTowardsTheHead) {
    // Beast's parser takes a whole request line before its fields have come:
    // those bytes are part of the head that head_failure() measures.
    const std::string line = "GET /v1/status HTTP/1.1\r\n";
    send(line + "Host: loc");
    EXPECT_FALSE(head_at_once(server_, buffer_, parser_, head_bytes_, ec_));
    EXPECT_FALSE(ec_);
    EXPECT_EQ(head_bytes_ + buffer_.size(), line.size() + 9);
    EXPECT_EQ(left(), (line + "Host: loc").substr(head_bytes_));
    EXPECT_FALSE(parser_.is_header_done());
}

TEST_F(HeadAtOnce, AMalformedHeadIsTheParsersError) {
    send("G@T /v1/status HTTP/1.1\r\nHost: x\r\n\r\n");
    ASSERT_TRUE(head_at_once(server_, buffer_, parser_, head_bytes_, ec_));
    EXPECT_EQ(ec_, http::error::bad_method);
}

TEST_F(HeadAtOnce, AHeadOverTheLimitIsMeasuredWholeWithWhatBeastReadsAfter) {
    // A request line of 400 bytes and fields of 700: Beast's own limit
    // counts them apart and lets them through. The first read (512 bytes,
    // as Beast's would be) takes the request line; Beast reads the fields;
    // the two counts together are the head head_failure() refuses.
    const std::string line = "GET /v1/status?" + std::string(374, 'a') + " HTTP/1.1\r\n";
    const std::string head = line + "X-Pad: " + std::string(691, 'b') + "\r\n\r\n";
    ASSERT_EQ(line.size(), 400u);
    send(head);
    EXPECT_FALSE(head_at_once(server_, buffer_, parser_, head_bytes_, ec_));
    EXPECT_EQ(head_bytes_, line.size());
    server_.non_blocking(false);
    const std::size_t rest = http::read_header(server_, buffer_, parser_, ec_);
    ASSERT_FALSE(ec_) << ec_.message();
    EXPECT_EQ(head_bytes_ + rest, head.size());
    EXPECT_EQ(head_failure(parser_, head_bytes_ + rest, limits_), http::error::header_limit);
    EXPECT_FALSE(head_failure(parser_, rest, limits_)) << "the fields alone are under the limit";
}

TEST_F(HeadAtOnce, ABufferHoldingBytesIsNotReadInto) {
    send("GET /v1/status HTTP/1.1\r\nHost: x\r\n\r\n");
    const std::string pipelined = "GET /v1/whoami HTTP/1.1\r\n";
    asio::buffer_copy(buffer_.prepare(pipelined.size()), asio::buffer(pipelined));
    buffer_.commit(pipelined.size());
    EXPECT_FALSE(head_at_once(server_, buffer_, parser_, head_bytes_, ec_));
    EXPECT_EQ(left(), pipelined);
}

TEST_F(HeadAtOnce, AClosedPeerIsLeftForBeastToReport) {
    client_.close();
    EXPECT_FALSE(head_at_once(server_, buffer_, parser_, head_bytes_, ec_));
    EXPECT_FALSE(ec_);
    EXPECT_EQ(buffer_.size(), 0u);
}

}  // namespace
}  // namespace credctl::server
