#include "daemon/etcd/etcd_codec.hpp"

#include <gtest/gtest.h>
#include <boost/json.hpp>

#include <string>
#include <vector>

namespace credctl::etcd {
namespace {

namespace json = boost::json;

json::object parsed(const std::string& body) {
    return json::parse(body).as_object();
}

TEST(EtcdCodec, Base64IsTheStandardPaddedAlphabetBothWays) {
    EXPECT_EQ(base64_encode("foo"), "Zm9v");
    EXPECT_EQ(base64_encode("fo"), "Zm8=");
    EXPECT_EQ(base64_encode(std::string("\xfb\xff\0", 3)), "+/8A");
    EXPECT_EQ(base64_decode("+/8A"), std::string("\xfb\xff\0", 3));
    EXPECT_EQ(base64_decode(""), std::string());
}

TEST(EtcdCodec, Base64DecodeRefusesUrlAlphabetAndGarbage) {
    EXPECT_FALSE(base64_decode("-_8A"));
    EXPECT_FALSE(base64_decode("Zm9v!"));
    EXPECT_FALSE(base64_decode("Zm8"));
}

// libsodium's decoder takes a byte over 0x7f (a negative char) for a
// base64 digit; found by etcd_answer_fuzz.
TEST(EtcdCodec, Base64DecodeRefusesBytesOutsideTheAlphabet) {
    EXPECT_FALSE(base64_decode(std::string("\x80\xff\xff\xff\xff\xff\xff\xff", 8)));
    EXPECT_FALSE(base64_decode(std::string("Zm9v\xc3\xa9===", 9)));
    EXPECT_FALSE(base64_decode(std::string("Zm\0v", 4)));
}

TEST(EtcdCodec, PrefixEndIsTheNextKeyAfterEveryKeyOfThePrefix) {
    EXPECT_EQ(prefix_end("/credd/"), "/credd0");
    EXPECT_EQ(prefix_end(std::string("a\xff", 2)), "b");
    EXPECT_EQ(prefix_end(""), std::string(1, '\0'));
}

TEST(EtcdCodec, RangeRequestOfAPrefixCarriesItsEnd) {
    auto o = parsed(range_request("/p/", std::string_view("/p0"), true));
    EXPECT_EQ(o.at("key").as_string(), base64_encode("/p/"));
    EXPECT_EQ(o.at("range_end").as_string(), base64_encode("/p0"));
    EXPECT_TRUE(o.at("keys_only").as_bool());
    auto one = parsed(range_request("/p/k", std::nullopt, false));
    EXPECT_FALSE(one.contains("range_end"));
    EXPECT_FALSE(one.contains("keys_only"));
}

TEST(EtcdCodec, ACountRequestAsksForTheNumberOfKeysBelowThePrefixOnly) {
    auto o = parsed(count_request("/p/credentials/"));
    EXPECT_EQ(o.at("key").as_string(), base64_encode("/p/credentials/"));
    EXPECT_EQ(o.at("range_end").as_string(), base64_encode("/p/credentials0"));
    EXPECT_TRUE(o.at("count_only").as_bool());
    EXPECT_TRUE(o.at("keys_only").as_bool());
    auto r = parse_range(R"({"header":{"revision":"9"},"count":"300"})");
    ASSERT_TRUE(r);
    EXPECT_TRUE(r->kvs.empty());
    EXPECT_EQ(r->count, 300);
    EXPECT_EQ(parse_range(R"({"count":"-1"})").error().message,
              "etcd: malformed answer: count is not a number of keys");
}

TEST(EtcdCodec, PutIfComparesTheModRevisionAndReadsBackOnFailure) {
    auto o = parsed(put_if_request("k", "v", 42, 7));
    const auto& cmp = o.at("compare").as_array().at(0).as_object();
    EXPECT_EQ(cmp.at("key").as_string(), base64_encode("k"));
    EXPECT_EQ(cmp.at("target").as_string(), "MOD");
    EXPECT_EQ(cmp.at("result").as_string(), "EQUAL");
    EXPECT_EQ(cmp.at("mod_revision").as_string(), "42");
    const auto& put = o.at("success").as_array().at(0).as_object().at("request_put").as_object();
    EXPECT_EQ(put.at("value").as_string(), base64_encode("v"));
    EXPECT_EQ(put.at("lease").as_string(), "7");
    EXPECT_TRUE(o.at("failure").as_array().at(0).as_object().contains("request_range"));
}

TEST(EtcdCodec, PutIfWithoutLeaseLeavesTheLeaseOut) {
    auto o = parsed(put_if_request("k", "v", 0, 0));
    EXPECT_EQ(o.at("compare").as_array().at(0).as_object().at("mod_revision").as_string(), "0");
    EXPECT_FALSE(o.at("success").as_array().at(0).as_object().at("request_put").as_object().contains("lease"));
}

TEST(EtcdCodec, ATxnComparesEveryKeyAndARangeAndWritesPutsAndDeletes) {
    auto o = parsed(txn_request({{"a", 3, false, ""}, {"p/", 10, true, prefix_end("p/")}},
                                {{"a", std::string("v")}, {"b", std::nullopt}}));
    const auto& cmp = o.at("compare").as_array();
    ASSERT_EQ(cmp.size(), 2u);
    EXPECT_EQ(cmp.at(0).as_object().at("result").as_string(), "EQUAL");
    EXPECT_EQ(cmp.at(0).as_object().at("mod_revision").as_string(), "3");
    EXPECT_FALSE(cmp.at(0).as_object().contains("range_end"));
    EXPECT_EQ(cmp.at(1).as_object().at("result").as_string(), "LESS");
    EXPECT_EQ(cmp.at(1).as_object().at("range_end").as_string(), base64_encode("p0"));
    const auto& ops = o.at("success").as_array();
    ASSERT_EQ(ops.size(), 2u);
    EXPECT_EQ(ops.at(0).as_object().at("request_put").as_object().at("value").as_string(), base64_encode("v"));
    EXPECT_EQ(ops.at(1).as_object().at("request_delete_range").as_object().at("key").as_string(), base64_encode("b"));
    EXPECT_FALSE(o.contains("failure"));
}

TEST(EtcdCodec, ParsesARangeWithRevisionsAsStrings) {
    const std::string body = R"({"header":{"revision":"9"},"kvs":[{"key":")" + base64_encode("/p/a") +
                             R"(","value":")" + base64_encode(std::string("\0sealed", 7)) +
                             R"(","create_revision":"3","mod_revision":"8","lease":"5"}],"count":"1"})";
    auto r = parse_range(body);
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_EQ(r->revision, 9);
    ASSERT_EQ(r->kvs.size(), 1u);
    EXPECT_EQ(r->kvs[0].key, "/p/a");
    EXPECT_EQ(r->kvs[0].value, std::string("\0sealed", 7));
    EXPECT_EQ(r->kvs[0].create_revision, 3);
    EXPECT_EQ(r->kvs[0].mod_revision, 8);
    EXPECT_EQ(r->kvs[0].lease, 5);
}

TEST(EtcdCodec, AnEmptyRangeHasNoKvsField) {
    auto r = parse_range(R"({"header":{"revision":"4"}})");
    ASSERT_TRUE(r);
    EXPECT_TRUE(r->kvs.empty());
    EXPECT_EQ(r->revision, 4);
}

TEST(EtcdCodec, MalformedAnswersAreErrorsNamingTheField) {
    EXPECT_EQ(parse_range("[]").error().message, "etcd: malformed answer: not a JSON object");
    EXPECT_EQ(parse_range(R"({"kvs":[{"key":"!!"}]})").error().message,
              "etcd: malformed answer: kvs entry with a key or value that is not base64");
    EXPECT_EQ(parse_range(R"({"kvs":[{"mod_revision":"x"}]})").error().message,
              "etcd: malformed answer: kvs entry with a revision that is not a number");
    EXPECT_FALSE(parse_lease_grant(R"({"TTL":"10"})"));
}

TEST(EtcdCodec, AFailedTxnOmitsSucceededAndCarriesTheCurrentKey) {
    const std::string body = R"({"header":{"revision":"12"},"responses":[{"response_range":{"header":{},"kvs":[)"
                             R"({"key":")" +
                             base64_encode("k") + R"(","mod_revision":"11"}]}}]})";
    auto t = parse_txn(body);
    ASSERT_TRUE(t) << t.error().message;
    EXPECT_FALSE(t->succeeded);
    ASSERT_EQ(t->current.kvs.size(), 1u);
    EXPECT_EQ(t->current.kvs[0].mod_revision, 11);
}

TEST(EtcdCodec, ASucceededTxnGivesThePutsRevision) {
    auto t = parse_txn(R"({"header":{"revision":"13"},"succeeded":true,"responses":[{"response_put":{}}]})");
    ASSERT_TRUE(t);
    EXPECT_TRUE(t->succeeded);
    EXPECT_EQ(t->revision, 13);
}

TEST(EtcdCodec, LeaseAnswers) {
    EXPECT_EQ(*parse_lease_grant(R"({"ID":"7587862072907233800","TTL":"10"})"), 7587862072907233800);
    EXPECT_EQ(*parse_keepalive(R"({"result":{"ID":"5","TTL":"9"}})"), 9);
    EXPECT_EQ(*parse_keepalive("{\"result\":{\"ID\":\"5\"}}\n"), 0);  // expired: TTL left out
    EXPECT_EQ(lease_id_request(5), R"({"ID":"5"})");
}

TEST(EtcdCodec, ErrorMessageOfTheGateway) {
    EXPECT_EQ(error_message(R"({"error":"etcdserver: no leader","code":14,"message":"etcdserver: no leader"})"),
              "etcdserver: no leader");
    EXPECT_EQ(error_message("not json"), "");
}

TEST(EtcdCodec, AWatchCoversEveryKeyBelowItsPrefix) {
    auto o = parsed(watch_request("/credd/credentials/"));
    const auto& create = o.at("create_request").as_object();
    EXPECT_EQ(*base64_decode(create.at("key").as_string()), "/credd/credentials/");
    EXPECT_EQ(*base64_decode(create.at("range_end").as_string()), "/credd/credentials0");
    EXPECT_FALSE(create.contains("start_revision"));
    auto resumed = parsed(watch_request("/p/", 42));
    EXPECT_EQ(resumed.at("create_request").as_object().at("start_revision").as_string(), "42");
}

// A backlog of 1000 revisions in one message can be any size: etcd splits it
// only when asked to.
TEST(EtcdCodec, AWatchAsksForFragmentsAndProgressNotifications) {
    for (const std::int64_t start : {0, 42}) {
        auto create = parsed(watch_request("/p/", start)).at("create_request").as_object();
        EXPECT_EQ(create.at("fragment"), json::value(true)) << start;
        EXPECT_EQ(create.at("progress_notify"), json::value(true)) << start;
    }
}

// Lines as etcd 3.4's gateway sends them.
TEST(EtcdCodec, WatchMessagesGiveCreationChangedKeysAndCancellation) {
    auto created = parse_watch_result(
        R"({"result":{"header":{"cluster_id":"3","member_id":"3","revision":"1","raft_term":"2"},"created":true}})");
    ASSERT_TRUE(created);
    EXPECT_TRUE(created->created);
    EXPECT_TRUE(created->events.empty());
    auto put = parse_watch_result(
        R"({"result":{"header":{"revision":"2"},"events":[{"kv":{"key":"Zm9v","create_revision":"2",)"
        R"("mod_revision":"2","version":"1","value":"YmFy"}},{"type":"DELETE","kv":{"key":"YmFy","mod_revision":"2"}}]}})");
    ASSERT_TRUE(put);
    EXPECT_FALSE(put->created);
    EXPECT_EQ(put->revision, 2);
    EXPECT_EQ(put->events, (std::vector<WatchEvent>{{"foo", 2}, {"bar", 2}}));
    EXPECT_EQ(put->last_event_revision, 2);
    auto canceled =
        parse_watch_result(R"({"result":{"header":{"revision":"9"},"canceled":true,"compact_revision":"5"}})");
    ASSERT_TRUE(canceled);
    EXPECT_TRUE(canceled->canceled);
    EXPECT_EQ(canceled->compact_revision, 5);
    EXPECT_FALSE(canceled->fragment);
    auto fragment = parse_watch_result(
        R"({"result":{"header":{"revision":"9"},"events":[{"kv":{"key":"Zm9v","mod_revision":"3"}}],"fragment":true}})");
    ASSERT_TRUE(fragment);
    EXPECT_TRUE(fragment->fragment);
    EXPECT_FALSE(put->fragment);
}

TEST(EtcdCodec, MalformedWatchMessagesAreErrors) {
    EXPECT_EQ(parse_watch_result("not json").error().message, "etcd: malformed answer: not a JSON object");
    EXPECT_EQ(parse_watch_result(R"({"error":{"grpc_code":14,"message":"no leader"}})").error().message,
              "etcd: malformed answer: watch message without a result");
    EXPECT_EQ(parse_watch_result(R"({"result":{"events":[{"type":"PUT"}]}})").error().message,
              "etcd: malformed answer: event without a kv object");
    EXPECT_EQ(parse_watch_result(R"({"result":{"events":[{"kv":{"key":"%%%"}}]}})").error().message,
              "etcd: malformed answer: event with a key that is not base64");
}

}  // namespace
}  // namespace credctl::etcd
