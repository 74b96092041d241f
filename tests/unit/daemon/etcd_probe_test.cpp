#include "daemon/etcd/etcd_probe.hpp"

#include "etcd_process.hpp"
#include "temp_dir.hpp"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>

#include <chrono>
#include <string>
#include <vector>

namespace credctl::etcd {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

TEST(EtcdProbeStatus, AMemberThatLeadsNamesItself) {
    auto s = parse_member_status(
        R"({"header":{"cluster_id":"6328709751833505057","member_id":"11719934994822390420","revision":"1"},)"
        R"("version":"3.4.23","leader":"11719934994822390420","raftIndex":"4"})");
    ASSERT_TRUE(s) << s.error().message;
    EXPECT_EQ(s->version, "3.4.23");
    EXPECT_EQ(s->member_id, 11719934994822390420ULL);
    EXPECT_EQ(s->leader, 11719934994822390420ULL);
    EXPECT_EQ(describe(*s), "etcd 3.4.23, leader");
}

TEST(EtcdProbeStatus, AFollowerAndAMemberWithoutLeaderAreTold) {
    auto follower = parse_member_status(R"({"header":{"member_id":"7"},"version":"3.5.9","leader":"9"})");
    ASSERT_TRUE(follower);
    EXPECT_EQ(describe(*follower), "etcd 3.5.9, follower");
    // proto3 leaves "leader" out when it is 0: the member knows no leader.
    auto alone = parse_member_status(R"({"header":{"member_id":"7"},"version":"3.4.23"})");
    ASSERT_TRUE(alone);
    EXPECT_EQ(alone->leader, 0U);
    EXPECT_EQ(describe(*alone), "etcd 3.4.23, no leader");
}

TEST(EtcdProbeStatus, MalformedAnswersAreErrors) {
    EXPECT_EQ(parse_member_status("<html>").error().message, "etcd: malformed status answer: not a JSON object");
    EXPECT_EQ(parse_member_status(R"({"leader":"x1"})").error().message,
              "etcd: malformed status answer: leader is not a number");
    EXPECT_EQ(parse_member_status(R"({"header":{"member_id":true}})").error().message,
              "etcd: malformed status answer: member_id is not a number");
}

MemberHealth member(std::string url, bool answers, bool leader, bool reads, std::string detail) {
    return MemberHealth{std::move(url), answers, leader, reads, std::move(detail)};
}

TEST(EtcdProbeSummary, OneMemberThatReadsMakesTheStoreReadable) {
    auto h = summarize({member("http://a", true, true, true, "etcd 3.4.23, leader"),
                        member("http://b", false, false, false, "connecting: Connection refused")});
    EXPECT_TRUE(h.readable);
    EXPECT_EQ(h.reason, "");
    ASSERT_EQ(h.members.size(), 2U);
    EXPECT_EQ(h.members[1].url, "http://b");
}

TEST(EtcdProbeSummary, MembersWithoutLeaderMeanNoQuorum) {
    auto h = summarize({member("http://a", true, false, false, "etcd 3.4.23, no leader"),
                        member("http://b", false, false, false, "timed out"),
                        member("http://c", false, false, false, "connecting: Connection refused")});
    EXPECT_FALSE(h.readable);
    EXPECT_EQ(h.reason,
              "etcd: no quorum: 1 of 3 members answer, none knows a leader (http://a: etcd 3.4.23, no leader; "
              "http://b: timed out; http://c: connecting: Connection refused)");
}

TEST(EtcdProbeSummary, NoMemberAnsweringIsSaidSo) {
    auto h = summarize({member("http://a", false, false, false, "timed out")});
    EXPECT_FALSE(h.readable);
    EXPECT_EQ(h.reason, "etcd: no member answers (http://a: timed out)");
}

TEST(EtcdProbeSummary, ALeaderKnownButNoReadIsNotReadable) {
    auto h = summarize({member("http://a", true, true, false, "etcd 3.4.23, follower, read failed: timed out")});
    EXPECT_FALSE(h.readable);
    EXPECT_EQ(h.reason, "etcd: no member served a read (http://a: etcd 3.4.23, follower, read failed: timed out)");
}

// A listener that accepts into its backlog and never answers: a hung member.
struct HungMember {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    std::string url;
    HungMember() {
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        socklen_t len = sizeof a;
        ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
        ::listen(fd, 16);
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
        url = "http://127.0.0.1:" + std::to_string(ntohs(a.sin_port));
    }
    ~HungMember() { ::close(fd); }
};

ClusterHealth run_probe(EtcdProbe& p, milliseconds timeout) {
    boost::asio::io_context io;
    ClusterHealth out;
    boost::asio::co_spawn(
        io, [&]() -> boost::asio::awaitable<void> { out = co_await p.probe(timeout); }, boost::asio::detached);
    io.run();
    return out;
}

TEST(EtcdProbe, EachMemberIsToldApartWithinTheTimeout) {
    test::TempDir dir;
    test::EtcdProcess etcd(dir.file("etcd"));
    ASSERT_TRUE(etcd.ready());
    HungMember hung;
    const std::string refused = "http://127.0.0.1:" + std::to_string(test::free_loopback_port());
    ClientOptions o;
    o.endpoints = {etcd.url(), hung.url, refused};
    auto probe = EtcdProbe::create(o, "/probe-test/meta/key_check");
    ASSERT_TRUE(probe) << probe.error().message;
    const auto start = Clock::now();
    auto h = run_probe(**probe, milliseconds(800));
    const auto took = Clock::now() - start;
    EXPECT_LT(took, milliseconds(1500));  // the hung member costs the timeout, once
    EXPECT_TRUE(h.readable) << h.reason;
    ASSERT_EQ(h.members.size(), 3U);
    EXPECT_EQ(h.members[0].url, etcd.url());
    EXPECT_TRUE(h.members[0].answers);
    EXPECT_TRUE(h.members[0].reads);
    EXPECT_EQ(h.members[0].detail.rfind("etcd 3.", 0), 0U) << h.members[0].detail;
    EXPECT_EQ(h.members[0].detail.substr(h.members[0].detail.size() - 8), ", leader");
    EXPECT_FALSE(h.members[1].answers);
    EXPECT_EQ(h.members[1].detail, "timed out waiting for the answer");
    EXPECT_FALSE(h.members[2].answers);
    EXPECT_EQ(h.members[2].detail, "connecting: Connection refused");
}

TEST(EtcdProbe, NoMemberUpMakesTheStoreUnreachable) {
    HungMember hung;
    ClientOptions o;
    o.endpoints = {hung.url};
    auto probe = EtcdProbe::create(o, "k");
    ASSERT_TRUE(probe);
    auto h = run_probe(**probe, milliseconds(300));
    EXPECT_FALSE(h.readable);
    EXPECT_EQ(h.reason, "etcd: no member answers (" + hung.url + ": timed out waiting for the answer)");
}

TEST(EtcdProbe, EndpointsAreCheckedAsTheClientChecksThem) {
    ClientOptions o;
    o.endpoints = {"http://10.0.0.1:2379"};
    auto probe = EtcdProbe::create(o, "k");
    ASSERT_FALSE(probe);
    EXPECT_EQ(probe.error().message,
              "plain http is allowed only for loopback etcd endpoints: \"http://10.0.0.1:2379\"");
}

}  // namespace
}  // namespace credctl::etcd
