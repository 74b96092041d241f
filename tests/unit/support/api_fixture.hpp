// The fixture of the API's unit tests (api_test.cpp, api_at_once_test.cpp):
// handle() and start() (daemon/server/api.hpp) over a real LmdbStore, a real
// Policy and a real audit file, the callers the policy names, and readers of
// the audit file's lines. Test-only; one thread.
#pragma once

#include "common/wire/wire.hpp"
#include "daemon/audit/audit.hpp"
#include "daemon/server/api.hpp"
#include "daemon/server/routes.hpp"
#include "daemon/store/lmdb_store.hpp"
#include "support/capture.hpp"
#include "support/policy_fixture.hpp"
#include "support/run_now.hpp"
#include "support/temp_store.hpp"

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/json/parse.hpp>

#include <cstdint>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

namespace credctl::server {

// bob (uid 2000) may take alice's tokens; uid 4100 administers.
inline constexpr const char* k_api_policy = R"(
[roles.reader]
permissions = ["credentials:token"]

[roles.admin]
permissions = ["credentials:*"]

[[grants]]
name = "bob reads alice"
roles = ["reader"]
resources = ["credentials/alice/*"]
clients = [{ uid = 2000 }]
)";

// The path of `r` with {user} alice and {provider} demo.
inline std::string path_of(const Route& r) {
    std::string path(r.pattern);
    for (const auto& [from, to] : {std::pair<std::string, std::string>{"{user}", "alice"}, {"{provider}", "demo"}}) {
        if (const auto at = path.find(from); at != std::string::npos) path.replace(at, from.size(), to);
    }
    return path;
}

struct Answer {
    ApiReply reply;
    std::string audit_at_answer;  // the audit file when the answer was ready
};

class ApiTest : public test::TempStoreTest {
protected:
    void SetUp() override {
        ASSERT_NO_FATAL_FAILURE(TempStoreTest::SetUp());
        tokens_ = std::make_unique<tokens::TokenService>(io_, *lmdb_, test::unreachable_provider_options());
        admin_.store = lmdb_.get();
        admin_.io = &io_;
        context_ = std::make_unique<ApiContext>(ApiContext{
            *tokens_, std::make_shared<const policy::Policy>(test::policy_from(k_api_policy)), nullptr, hashes_,
            std::chrono::steady_clock::now(), connections_, admin_, hasher_, metrics_, admission_, store_health_});
        open_audit(audit_path_);
    }
    void open_audit(const std::string& path, audit::Settings settings = {}) {
        auto log = audit::AuditLog::open(path, settings);
        ASSERT_TRUE(log) << log.error().message;
        context_->audit = std::move(*log);
    }

    static boost::asio::awaitable<void> ask(ApiContext& c, peer::PeerIdentity who, ApiRequest r, std::string audit_path,
                                            Answer* out) {
        out->reply = co_await handle(c, who, r);
        out->audit_at_answer = audit_path.empty() ? "" : test::slurp(audit_path);
    }
    Answer call(const peer::PeerIdentity& who, std::string method, std::string target, std::string body = "{}") {
        Answer out;
        out.reply.status = 0;
        boost::asio::co_spawn(
            io_, ask(*context_, who, {std::move(method), std::move(target), std::move(body)}, audit_path_, &out),
            boost::asio::detached);
        io_.restart();
        io_.run();
        return out;
    }
    Answer call(const peer::PeerIdentity& who, const Route& r) { return call(who, std::string(r.method), path_of(r)); }

    std::unique_ptr<tokens::TokenService> tokens_;
    peer::ExeHashCache hashes_;
    peer::ExeHasher hasher_;
    std::size_t connections_ = 1;
    AdminState admin_;
    metrics::DaemonMetrics metrics_;
    StoreHealth store_health_{daemon::StoreSettings{}};
    Admission admission_{8, 2, 4};
    std::string audit_path_ = dir_.file("audit.jsonl");
    std::unique_ptr<ApiContext> context_;
};

inline const peer::PeerIdentity k_alice = test::caller("alice", 1000);
inline const peer::PeerIdentity k_bob = test::caller("bob", 2000);
inline const peer::PeerIdentity k_mallory = test::caller("mallory", 3000);
inline const peer::PeerIdentity k_root = test::caller("root", 0);

// Who the policy lets through `r`: alice on her own credentials, root on
// administration, anyone on open routes; and who it refuses.
inline const peer::PeerIdentity& allowed_on(const Route& r) {
    if (r.permission == policy::Permission::any_local) return k_mallory;
    return r.whose == Whose::path_user ? k_alice : k_root;
}
inline const peer::PeerIdentity& denied_on(const Route& r) {
    return r.whose == Whose::path_user ? k_mallory : k_alice;
}

inline std::vector<std::string> lines_of(const std::string& text) {
    std::vector<std::string> out;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) out.push_back(line);
    return out;
}

// The fields of the last audit line, which must be the only one added since
// `before` lines.
inline boost::json::object only_new_line(const std::string& text, std::size_t before) {
    const auto lines = lines_of(text);
    EXPECT_EQ(lines.size(), before + 1) << text;
    if (lines.empty()) return {};
    return boost::json::parse(lines.back()).as_object();
}

inline std::string code_of(const ApiReply& reply) {
    return std::string(boost::json::parse(reply.body).as_object().at("code").as_string());
}

// A login stored for `user` at demo, in `state`, with `access_token`
// (none: empty) good until `expires_at` (epoch seconds).
inline void store_credential(store::LmdbStore& lmdb, tokens::TokenService& tokens, const std::string& user,
                             store::CredentialState state, const std::string& access_token = "",
                             std::int64_t expires_at = 0) {
    wire::StoreCredential login;
    login.refresh_token = SecretBytes::from("RT-" + user);
    if (!access_token.empty()) login.access_token = SecretBytes::from(access_token);
    login.access_expires_at = expires_at;
    const store::CredentialKey key{user, "demo"};
    boost::asio::io_context io;  // the store is called inline: the login needs no other
    ASSERT_TRUE(credctl::test::run_now(io, tokens.store_login(key, std::move(login))).has_value());
    auto rec = lmdb.get({user, "demo"});
    ASSERT_TRUE(rec && *rec);
    (*rec)->state = state;
    ASSERT_TRUE(lmdb.update({user, "demo"}, **rec).has_value());
}

}  // namespace credctl::server
