// Secrets in transit are never freed unzeroed (common/secret).
//
// This program replaces the global operator new and delete: every block given
// back while a test watches is searched for the test's marker before it is
// freed. Each test makes a value that holds the marker go through the path
// under test (grow, move, parse, serialize, an HTTP message) and counts the
// freed blocks that still held it: none may. A control test does the same
// with the plain types (std::string, boost::json's default storage, Beast's
// string_body) and must find the marker, which shows the search works.
//
// A program of its own: the replaced operators would apply to every test in
// the unit test binary.
#include "cli/output/token_format.hpp"
#include "common/oauth/oauth_client.hpp"
#include "common/secret/secret_http.hpp"
#include "common/secret/secret_json.hpp"
#include "common/secret/secret_string.hpp"
#include "common/wire/wire.hpp"

#include <gtest/gtest.h>
#include <malloc.h>
#include <sodium.h>
#include <boost/beast/http.hpp>
#include <boost/json.hpp>

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <new>
#include <string_view>

namespace {

constexpr std::string_view k_marker = "MARKER-7f3a9c1e-REFRESH";
std::atomic<bool> g_watching{false};
std::atomic<int> g_found{0};

void inspect(void* p) noexcept {
    if (p == nullptr || !g_watching.load(std::memory_order_relaxed)) return;
    const std::size_t n = malloc_usable_size(p);
    if (memmem(p, n, k_marker.data(), k_marker.size()) != nullptr) g_found.fetch_add(1);
}

void* allocate(std::size_t n, std::size_t align) {
    void* p = align <= alignof(std::max_align_t) ? std::malloc(n == 0 ? 1 : n)
                                                 : std::aligned_alloc(align, (n + align - 1) / align * align);
    if (p == nullptr) throw std::bad_alloc();
    return p;
}

// Counts the freed blocks that held the marker while `f` ran and its values
// were destroyed.
template <class F>
int freed_with_marker(F&& f) {
    g_found = 0;
    g_watching = true;
    f();
    g_watching = false;
    return g_found.load();
}

// The marker made into a longer value, so that strings hold it on the heap.
std::string_view long_secret() {
    static const char text[] = "MARKER-7f3a9c1e-REFRESH.0123456789abcdefghijklmnopqrstuvwxyz";
    return text;
}

}  // namespace

void* operator new(std::size_t n) {
    return allocate(n, alignof(std::max_align_t));
}
void* operator new(std::size_t n, std::align_val_t a) {
    return allocate(n, static_cast<std::size_t>(a));
}
void operator delete(void* p) noexcept {
    inspect(p);
    std::free(p);
}
void operator delete(void* p, std::size_t) noexcept {
    inspect(p);
    std::free(p);
}
void operator delete(void* p, std::align_val_t) noexcept {
    inspect(p);
    std::free(p);
}
void operator delete(void* p, std::size_t, std::align_val_t) noexcept {
    inspect(p);
    std::free(p);
}

namespace credctl {
namespace {

namespace json = boost::json;
namespace http = boost::beast::http;

TEST(FreedSecrets, ControlPlainStringsLeaveTheMarkerBehind) {
    EXPECT_GT(freed_with_marker([] {
                  std::string s(long_secret());
                  s.append(4096, 'x');  // grows: the old block is freed as it was
              }),
              0);
    EXPECT_GT(freed_with_marker([] {
                  boost::system::error_code ec;
                  const auto v = json::parse(R"({"refresh_token":")" + std::string(long_secret()) + R"("})", ec);
                  ASSERT_FALSE(ec);
              }),
              0);
}

TEST(FreedSecrets, SecretStringGrowingAndMovingLeavesNothing) {
    EXPECT_EQ(freed_with_marker([] {
                  SecretString s(long_secret());
                  for (int i = 0; i < 64; ++i) s += "grow-grow-grow-grow";
                  SecretString moved = std::move(s);
                  SecretString copy = moved;
                  copy.shrink_to_fit();
              }),
              0);
}

TEST(FreedSecrets, ShortSecretStringIsZeroedInPlace) {
    // A short string lives inside the object: look at the object's bytes
    // after it is destroyed.
    // The barrier after each construction makes the compiler write the mark
    // into the room (it cannot drop the stores of an object about to die);
    // nothing stands after the destructor, whose own stores are under test.
    alignas(std::string) unsigned char plain_room[sizeof(std::string)]{};
    auto* plain = new (plain_room) std::string("SHORT-MARK-1");
    asm volatile("" : : "r"(plain_room) : "memory");
    std::destroy_at(plain);
    EXPECT_NE(memmem(std::launder(plain_room), sizeof plain_room, "SHORT-MARK-1", 12), nullptr) << "control";

    alignas(SecretString) unsigned char room[sizeof(SecretString)]{};
    auto* secret = new (room) SecretString("SHORT-MARK-1");
    asm volatile("" : : "r"(room) : "memory");
    std::destroy_at(secret);
    EXPECT_EQ(memmem(std::launder(room), sizeof room, "SHORT-MARK-1", 12), nullptr);
}

TEST(FreedSecrets, SecretJsonParsesAndSerializesWithoutCopies) {
    // Long enough, and escaped, so that the parser keeps partial strings in
    // its own temporary memory.
    const std::string big = std::string(long_secret()) + "\\\"" + std::string(8192, 'q');
    const std::string body = R"({"refresh_token":")" + big + R"(","access_token":")" + big + R"("})";
    EXPECT_EQ(freed_with_marker([&] {
                  boost::system::error_code ec;
                  json::value v = parse_secret_json(body, ec);
                  ASSERT_FALSE(ec);
                  v.as_object()["copy"] = v.as_object()["refresh_token"];
                  const SecretString text = serialize_secret_json(v);
                  EXPECT_NE(text.find(long_secret()), std::string::npos);
              }),
              0);
}

TEST(FreedSecrets, CredentialOnTheWireLeavesNothing) {
    EXPECT_EQ(freed_with_marker([] {
                  wire::StoreCredential in;
                  in.refresh_token = SecretBytes::from(long_secret());
                  in.access_token = SecretBytes::from(long_secret());
                  const SecretString body = wire::to_json(in);
                  auto back = wire::parse_store_credential(body);
                  ASSERT_TRUE(back);
                  wire::AccessToken t;
                  t.access_token = SecretBytes::from(long_secret());
                  auto answer = wire::parse_access_token(wire::to_json(t));
                  ASSERT_TRUE(answer);
              }),
              0);
}

TEST(FreedSecrets, HttpMessagesLeaveNothing) {
    const std::string body = R"({"refresh_token":")" + std::string(long_secret()) + R"("})";
    const std::string wire_bytes =
        "PUT /v1/users/alice/credentials/github HTTP/1.1\r\nHost: localhost\r\n"
        "Content-Length: " +
        std::to_string(body.size()) + "\r\n\r\n" + body;
    const auto parse = [&](auto& parser, auto& buffer) {
        auto room = buffer.prepare(wire_bytes.size());
        std::memcpy(room.data(), wire_bytes.data(), wire_bytes.size());
        buffer.commit(wire_bytes.size());
        boost::system::error_code ec;
        while (!parser.is_done() && !ec) buffer.consume(parser.put(buffer.data(), ec));
        ASSERT_FALSE(ec);
    };
    EXPECT_GT(freed_with_marker([&] {
                  boost::beast::flat_buffer buffer;
                  http::request_parser<http::string_body> parser;
                  parse(parser, buffer);
              }),
              0)
        << "control";
    EXPECT_EQ(freed_with_marker([&] {
                  SecretBuffer buffer;
                  http::request_parser<SecretBody, ZeroingAllocator<char>> parser;
                  parse(parser, buffer);
                  SecretString taken = std::move(parser.get().body());
                  SecretRequest out{http::verb::put, "/", 11};
                  out.set(http::field::authorization, long_secret());
                  out.body() = taken;
                  out.prepare_payload();
              }),
              0);
}

TEST(FreedSecrets, ProviderFormsAndAnswersLeaveNothing) {
    ProviderConfig p;
    p.name = "github";
    p.client_id = "cid";
    p.resource = "https://api.example";
    const std::string answer = R"({"access_token":")" + std::string(long_secret()) + R"(","refresh_token":")" +
                               std::string(long_secret()) +
                               R"(","token_type":"Bearer","expires_in":60,"id_token":"a.b.c"})";
    EXPECT_EQ(freed_with_marker([&] {
                  const auto rt = SecretBytes::from(long_secret());
                  auto form = oauth::refresh_form(p, rt, {"openid", "email"});
                  auto request = oauth::form_request("https://idp.example/token", p, std::move(form));
                  ASSERT_TRUE(request);
                  const SecretString code(long_secret());
                  auto exchange = oauth::code_exchange_form(p, code, "http://127.0.0.1:1/callback", code);
                  auto tokens = oauth::parse_token_response(200, answer, true);
                  ASSERT_TRUE(tokens);
              }),
              0);
}

TEST(FreedSecrets, EveryTokenOutputFormatLeavesNothing) {
    for (const auto& name : cli::token_format_names()) {
        const auto format = cli::parse_token_format(name);
        ASSERT_TRUE(format);
        EXPECT_EQ(freed_with_marker([&] {
                      cli::TokenView view;
                      view.access_token = long_secret();
                      view.expires_at = 1700000000;
                      view.user = "alice";
                      view.provider = "github";
                      const SecretString out = cli::format_token(*format, view);
                      EXPECT_NE(out.find(long_secret()), std::string::npos);
                  }),
                  0)
            << name;
    }
}

}  // namespace
}  // namespace credctl

int main(int argc, char** argv) {
    if (sodium_init() < 0) return 2;
    ::testing::InitGoogleTest(&argc, argv);
    return RUN_ALL_TESTS();
}
