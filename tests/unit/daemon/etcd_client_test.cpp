#include "daemon/etcd/etcd_client.hpp"

#include "etcd_process.hpp"
#include "temp_dir.hpp"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <string>
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
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
    ASSERT_EQ(::listen(fd, 16), 0);
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
    const std::string url = "http://127.0.0.1:" + std::to_string(ntohs(a.sin_port));
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

}  // namespace
}  // namespace credctl::etcd
