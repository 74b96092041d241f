#include "common/wire/wire.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <string>

namespace credctl::wire {
namespace {

Status etcd_status() {
    Status s{"1.2.0", 60, -1, 2, "etcd: no member answers (http://127.0.0.1:2379: timed out)"};
    s.store_backend = "etcd";
    s.store_state = "unreachable";
    s.store_endpoints = {{"http://127.0.0.1:2379", false, false, "timed out"},
                         {"http://127.0.0.1:2380", true, true, "etcd 3.4.23, leader"}};
    return s;
}

TEST(StatusWire, TheStoreBackendStateAndEndpointsRoundTrip) {
    auto out = parse_status(to_json(etcd_status()));
    ASSERT_TRUE(out) << out.error().message;
    EXPECT_EQ(out->store, "etcd: no member answers (http://127.0.0.1:2379: timed out)");
    EXPECT_EQ(out->credentials, -1);
    EXPECT_EQ(out->store_backend, "etcd");
    EXPECT_EQ(out->store_state, "unreachable");
    ASSERT_EQ(out->store_endpoints.size(), 2U);
    EXPECT_EQ(out->store_endpoints[0].url, "http://127.0.0.1:2379");
    EXPECT_FALSE(out->store_endpoints[0].answers);
    EXPECT_FALSE(out->store_endpoints[0].reads);
    EXPECT_EQ(out->store_endpoints[0].detail, "timed out");
    EXPECT_TRUE(out->store_endpoints[1].answers);
    EXPECT_TRUE(out->store_endpoints[1].reads);
    EXPECT_EQ(out->store_endpoints[1].detail, "etcd 3.4.23, leader");
}

TEST(StatusWire, TheEncodingHasTheDocumentedFieldNames) {
    const auto v = boost::json::parse(to_json(etcd_status())).as_object();
    EXPECT_EQ(v.at("store_backend").as_string(), "etcd");
    EXPECT_EQ(v.at("store_state").as_string(), "unreachable");
    const auto& e = v.at("store_endpoints").as_array().at(1).as_object();
    EXPECT_EQ(e.at("url").as_string(), "http://127.0.0.1:2380");
    EXPECT_EQ(e.at("answers").as_bool(), true);
    EXPECT_EQ(e.at("reads").as_bool(), true);
    EXPECT_EQ(e.at("detail").as_string(), "etcd 3.4.23, leader");
}

TEST(StatusWire, AnLmdbStatusHasNoEndpoints) {
    Status s{"1.2.0", 1, 3, 1, "ok"};
    s.store_backend = "lmdb";
    s.store_state = "readable";
    const auto v = boost::json::parse(to_json(s)).as_object();
    EXPECT_TRUE(v.at("store_endpoints").as_array().empty());
    auto out = parse_status(to_json(s));
    ASSERT_TRUE(out);
    EXPECT_EQ(out->store_state, "readable");
    EXPECT_TRUE(out->store_endpoints.empty());
}

// A daemon from before these fields: the status still parses, with them empty.
TEST(StatusWire, AnAnswerWithoutTheStoreFieldsParses) {
    auto out = parse_status(R"({"version":"1.0.0","store":"ok","store_endpoints":[42,{"url":"u","answers":"yes"}]})");
    ASSERT_TRUE(out) << out.error().message;
    EXPECT_EQ(out->store_backend, "");
    EXPECT_EQ(out->store_state, "");
    ASSERT_EQ(out->store_endpoints.size(), 1U);  // the entry that is not an object is skipped
    EXPECT_EQ(out->store_endpoints[0].url, "u");
    EXPECT_FALSE(out->store_endpoints[0].answers);  // not a boolean: false
}

}  // namespace
}  // namespace credctl::wire
