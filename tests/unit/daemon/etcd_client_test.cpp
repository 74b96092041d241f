#include "daemon/etcd/etcd_client.hpp"

#include "etcd_process.hpp"
#include "temp_dir.hpp"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <string>
#include <thread>
#include <vector>

namespace credctl::etcd {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

ClientOptions options(std::vector<std::string> endpoints, milliseconds timeout = milliseconds(3000)) {
    ClientOptions o;
    o.endpoints = std::move(endpoints);
    o.request_timeout = timeout;
    return o;
}

// A listening TCP socket on a free loopback port; -1 when none could be
// had. `url` becomes its http:// address.
int listen_on_loopback(std::string& url) {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || ::listen(fd, 16) != 0) {
        ::close(fd);
        return -1;
    }
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
    url = "http://127.0.0.1:" + std::to_string(ntohs(a.sin_port));
    return fd;
}

// Reads one request of the client (head and JSON body) from connection `c`.
void read_request(int c) {
    char buf[4096];
    std::string got;
    while (got.find("\r\n\r\n") == std::string::npos || got.find('}') == std::string::npos) {
        const ssize_t n = ::read(c, buf, sizeof buf);
        if (n <= 0) return;
        got.append(buf, static_cast<std::size_t>(n));
    }
}

// An etcd answer: the status line, the JSON body, and whether it says it
// closes the connection.
std::string answer(const char* status, const std::string& body, bool says_close) {
    return std::string("HTTP/1.1 ") + status +
           "\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) +
           (says_close ? "\r\nConnection: close\r\n\r\n" : "\r\n\r\n") + body;
}

// A member played by a thread: `serve(listening fd)` runs until the
// destructor sets `stopping` and shuts the socket down (accept() then fails).
class FakeMember {
public:
    explicit FakeMember(std::function<void(int)> serve) {
        fd_ = listen_on_loopback(url_);
        if (fd_ >= 0) thread_ = std::thread([this, serve = std::move(serve)] { serve(fd_); });
    }
    ~FakeMember() {
        stopping = true;
        ::shutdown(fd_, SHUT_RDWR);
        ::close(fd_);
        if (thread_.joinable()) thread_.join();
    }
    FakeMember(const FakeMember&) = delete;
    FakeMember& operator=(const FakeMember&) = delete;
    const std::string& url() const { return url_; }
    std::atomic<bool> stopping{false};

private:
    int fd_ = -1;
    std::string url_;
    std::thread thread_;
};

TEST(EtcdClient, PlainHttpIsRefusedOffLoopback) {
    auto c = EtcdClient::create(options({"http://10.0.0.1:2379"}));
    ASSERT_FALSE(c);
    EXPECT_EQ(c.error().message, "plain http is allowed only for loopback etcd endpoints: \"http://10.0.0.1:2379\"");
    EXPECT_EQ(EtcdClient::create(options({"etcd.example:2379"})).error().message,
              "etcd endpoint is not an http(s) URL with a host: \"etcd.example:2379\"");
    EXPECT_EQ(EtcdClient::create(options({})).error().message, "etcd: no endpoints configured");
}

TEST(EtcdClient, ACertWithoutItsKeyIsRefused) {
    auto o = options({"https://127.0.0.1:2379"});
    o.cert_file = "/etc/ssl/cert.pem";
    auto c = EtcdClient::create(o);
    ASSERT_FALSE(c);
    EXPECT_EQ(c.error().message, "etcd cert_file and key_file go together; only one is set");
}

// A listener that accepts into its backlog and never answers: the worst
// member, one that hangs.
TEST(EtcdClient, AMemberThatNeverAnswersCostsNoMoreThanTheRequestTimeout) {
    std::string url;
    const int fd = listen_on_loopback(url);
    ASSERT_GE(fd, 0);
    auto c = EtcdClient::create(options({url}, milliseconds(700)));
    ASSERT_TRUE(c);
    const auto start = Clock::now();
    auto got = (*c)->get("k");
    const auto took = Clock::now() - start;
    ::close(fd);
    ASSERT_FALSE(got);
    EXPECT_EQ(got.error().code, Errc::provider_unavailable);
    EXPECT_EQ(got.error().message,
              "etcd: no member answered /v3/kv/range within 700 ms (" + url + ": timed out waiting for the answer)");
    EXPECT_LT(took, milliseconds(1500));
}

// A member that answers the first `refusals` requests as etcd does while it
// elects a leader (503, "leader changed"), then an empty range. It closes
// each connection after one answer; `says_close` false leaves out the
// "Connection: close" that says so, as a member whose kept connection ends
// while idle (a restart, an idle timeout).
class ElectingMember {
public:
    explicit ElectingMember(int refusals, bool says_close = true) : refusals_(refusals), says_close_(says_close) {}
    const std::string& url() const { return member_.url(); }
    int requests() const { return requests_; }

private:
    void serve(int fd) {
        for (;;) {
            const int c = ::accept(fd, nullptr, nullptr);
            if (c < 0) return;
            read_request(c);
            const bool refuse = requests_++ < refusals_;
            const std::string a = refuse ? answer("503 Service Unavailable",
                                                  R"({"error":"etcdserver: leader changed","code":14})", says_close_)
                                         : answer("200 OK", R"({"header":{"revision":"7"},"count":"0"})", says_close_);
            [[maybe_unused]] const ssize_t w = ::write(c, a.data(), a.size());
            ::close(c);
        }
    }
    int refusals_;
    bool says_close_;
    std::atomic<int> requests_{0};
    FakeMember member_{[this](int fd) { serve(fd); }};  // last: its thread uses the fields above
};

// The killed leader refuses, the two others say "leader changed" for a
// while: the call goes round them again until one answers.
TEST(EtcdClient, AClusterElectingALeaderIsAskedAgainUntilAMemberAnswers) {
    ElectingMember a(3), b(3);
    ASSERT_FALSE(a.url().empty());
    ASSERT_FALSE(b.url().empty());
    auto c = EtcdClient::create(options({"http://127.0.0.1:1", a.url(), b.url()}, milliseconds(5000)));
    ASSERT_TRUE(c);
    auto got = (*c)->get("k");
    ASSERT_TRUE(got) << got.error().message;
    EXPECT_FALSE(*got);
    EXPECT_EQ(a.requests() + b.requests(), 7);  // six refusals, then the answer
    EXPECT_EQ((*c)->last_answered(), a.url());
    EXPECT_EQ((*c)->connections(), 7u) << "a connection the member said it closes was used again";
}

// Still bounded: members that never stop refusing fail the call by its
// timeout, naming what each said in the last round, after asking again.
TEST(EtcdClient, AClusterThatNeverElectsFailsWithinTheRequestTimeout) {
    ElectingMember a(1000000);
    auto c = EtcdClient::create(options({a.url()}, milliseconds(800)));
    ASSERT_TRUE(c);
    const auto start = Clock::now();
    auto got = (*c)->get("k");
    const auto took = Clock::now() - start;
    ASSERT_FALSE(got);
    EXPECT_EQ(got.error().code, Errc::provider_unavailable);
    // The last round's answer: "503 etcdserver: leader changed", or a time
    // out when the machine is too busy for the member to answer in time.
    const std::string head = "etcd: no member answered /v3/kv/range within 800 ms (" + a.url() + ": ";
    EXPECT_EQ(got.error().message.substr(0, head.size()), head);
    EXPECT_GT(a.requests(), 2);
    EXPECT_LT(took, milliseconds(1600));
}

TEST(EtcdClient, LeasesAreGrantedKeptAliveAndRevoked) {
    test::TempDir dir;
    test::EtcdProcess etcd(dir.file("etcd"));
    ASSERT_TRUE(etcd.ready());
    auto c = EtcdClient::create(options({etcd.url()}));
    ASSERT_TRUE(c);
    auto lease = (*c)->lease_grant(10);
    ASSERT_TRUE(lease) << lease.error().message;
    auto held = (*c)->put_if("/lock", "holder", 0, *lease);
    ASSERT_TRUE(held && held->succeeded);
    auto again = (*c)->put_if("/lock", "other", 0, 0);  // taken: the compare on absence fails
    ASSERT_TRUE(again);
    EXPECT_FALSE(again->succeeded);
    ASSERT_EQ(again->current.kvs.size(), 1u);
    EXPECT_EQ(again->current.kvs[0].value, "holder");
    EXPECT_EQ(again->current.kvs[0].lease, *lease);
    auto ttl = (*c)->lease_keepalive(*lease);
    ASSERT_TRUE(ttl) << ttl.error().message;
    EXPECT_GT(*ttl, 0);
    ASSERT_TRUE((*c)->lease_revoke(*lease));
    EXPECT_FALSE(*(*c)->get("/lock"));  // revoking the lease removed its key
    EXPECT_EQ(*(*c)->lease_keepalive(*lease), 0);
}

// Calls to a member that keeps connections open (etcd does) share one: no
// TCP (or TLS) handshake per call.
TEST(EtcdClient, CallsToOneMemberShareOneConnection) {
    test::TempDir dir;
    test::EtcdProcess etcd(dir.file("etcd"));
    ASSERT_TRUE(etcd.ready());
    auto c = EtcdClient::create(options({etcd.url()}));
    ASSERT_TRUE(c);
    ASSERT_TRUE((*c)->put_if("/k", "v", 0, 0));
    for (int i = 0; i < 20; ++i) {
        auto got = (*c)->get("/k");
        ASSERT_TRUE(got && *got) << (got ? "absent" : got.error().message);
        EXPECT_EQ((*got)->value, "v");
    }
    EXPECT_EQ((*c)->calls(), 21u);
    EXPECT_EQ((*c)->connections(), 1u);
}

// A kept connection the member closed while idle costs the call nothing but
// a new connection: the request goes out again on it, and is answered.
TEST(EtcdClient, AKeptConnectionTheMemberClosedIsReplacedWithinTheCall) {
    ElectingMember m(0, false);
    ASSERT_FALSE(m.url().empty());
    auto c = EtcdClient::create(options({m.url()}, milliseconds(3000)));
    ASSERT_TRUE(c);
    for (int i = 0; i < 3; ++i) {
        auto got = (*c)->get("k");
        ASSERT_TRUE(got) << "call " << i << ": " << got.error().message;
        EXPECT_FALSE(*got);
    }
    EXPECT_EQ(m.requests(), 3);
    EXPECT_EQ((*c)->connections(), 3u);
}

// A member that answers one request and keeps the connection, then reads
// the next request on it and never answers: a member that hangs between two
// calls.
class HangsAfterOneAnswer {
public:
    const std::string& url() const { return member_.url(); }

private:
    void serve(int fd) {
        const int c = ::accept(fd, nullptr, nullptr);
        if (c < 0) return;
        read_request(c);
        const std::string a = answer("200 OK", R"({"header":{"revision":"7"},"count":"0"})", false);
        [[maybe_unused]] const ssize_t w = ::write(c, a.data(), a.size());
        read_request(c);
        while (!member_.stopping) std::this_thread::sleep_for(milliseconds(10));
        ::close(c);
    }
    FakeMember member_{[this](int fd) { serve(fd); }};
};

// The kept connection is not a way around the request timeout: a member
// that hangs on it fails the call in time, and is named as one that did not
// answer (not as one that could not be reached).
TEST(EtcdClient, AMemberThatHangsOnAKeptConnectionCostsNoMoreThanTheRequestTimeout) {
    HangsAfterOneAnswer m;
    ASSERT_FALSE(m.url().empty());
    auto c = EtcdClient::create(options({m.url()}, milliseconds(700)));
    ASSERT_TRUE(c);
    auto first = (*c)->get("k");
    ASSERT_TRUE(first) << first.error().message;
    const auto start = Clock::now();
    auto second = (*c)->get("k");
    const auto took = Clock::now() - start;
    ASSERT_FALSE(second);
    EXPECT_EQ(second.error().message, "etcd: no member answered /v3/kv/range within 700 ms (" + m.url() +
                                          ": timed out waiting for the answer)");
    EXPECT_LT(took, milliseconds(1500));
    EXPECT_EQ((*c)->connections(), 1u);
}

}  // namespace
}  // namespace credctl::etcd
